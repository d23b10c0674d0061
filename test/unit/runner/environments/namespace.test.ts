import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../../../../pipelines/schema.ts';
import { environmentId, environmentNamespace, isDns1123Label, toDns1123Label, toLabelValue } from '../../../../runner/environments/namespace.ts';

function pipeline(namespace?: string): Pipeline {
  return Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: 'bulletin-board' },
    source: { repo: 'http://127.0.0.1:3000/kiamol/kiamol.git' },
    ...(namespace ? { environment: { namespace } } : {}),
  });
}

void test('a plain branch keeps a readable namespace without suffix', () => {
  assert.equal(environmentNamespace(pipeline('bb-{{ .Branch }}'), 'feature-x'), 'bb-feature-x');
  assert.equal(environmentNamespace(pipeline(), 'main'), 'bulletin-board-main');
});

void test('a fixed namespace stays exactly as written', () => {
  assert.equal(environmentNamespace(pipeline('bb-production'), 'main'), 'bb-production');
  assert.equal(environmentNamespace(pipeline('bb-production'), 'release/1.0'), 'bb-production');
});

void test('a 200-character branch gets a valid namespace of at most 63 characters', () => {
  const branch = `feature/${'a'.repeat(192)}`;
  const ns = environmentNamespace(pipeline('bb-{{ .Branch }}'), branch);
  assert.ok(isDns1123Label(ns), ns);
  assert.ok(ns.length <= 63);
  assert.match(ns, /^bb-feature-a+-[0-9a-f]{8}$/);
});

void test('two long branches that share their first 63 characters differ', () => {
  const a = environmentNamespace(pipeline('bb-{{ .Branch }}'), `${'x'.repeat(100)}-one`);
  const b = environmentNamespace(pipeline('bb-{{ .Branch }}'), `${'x'.repeat(100)}-two`);
  assert.notEqual(a, b);
  assert.ok(isDns1123Label(a) && isDns1123Label(b));
});

void test('branches that sanitise alike get different namespaces', () => {
  const p = pipeline('bb-{{ .Branch }}');
  const names = ['feat/a', 'feat-a', 'Feat-A', 'feat_a', 'feat--a', 'feat.a'].map((b) => environmentNamespace(p, b));
  assert.equal(new Set(names).size, names.length, names.join(' '));
  for (const n of names) assert.ok(isDns1123Label(n), n);
  assert.equal(names[1], 'bb-feat-a');
});

void test('unicode and shell characters give valid namespaces', () => {
  const p = pipeline('{{ .Branch }}');
  for (const branch of ['日本語', 'ünïcødé/brånch', '$(rm -rf /)', '`id`; echo ${HOME} | cat > /tmp/x', '---', '..', '🚀/launch', "it's \"quoted\""]) {
    const ns = environmentNamespace(p, branch);
    assert.ok(isDns1123Label(ns), `${branch} → ${ns}`);
  }
  assert.notEqual(environmentNamespace(p, '日本語'), environmentNamespace(p, '中文'));
});

void test('toDns1123Label leaves valid labels alone and is stable', () => {
  assert.equal(toDns1123Label('abc-123'), 'abc-123');
  assert.equal(toDns1123Label('a/b'), toDns1123Label('a/b'));
  assert.match(toDns1123Label('-a-'), /^a-[0-9a-f]{8}$/);
});

void test('environment ids and label values', () => {
  assert.equal(environmentId('bb', 'bb-main'), 'bb.bb-main');
  assert.equal(toLabelValue('bb.bb-main'), 'bb.bb-main');
  const long = toLabelValue(`bulletin-board.${'n'.repeat(63)}`);
  assert.ok(long.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(long), long);
});
