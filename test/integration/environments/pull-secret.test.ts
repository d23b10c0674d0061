// environment.imagePullSecret against the testenv's Kubernetes API: the dockerconfigjson Secret in
// the new namespace, listed by its default ServiceAccount; from an environment variable or a file;
// never in a log line; nothing made when it is missing.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ConfigError } from '../../../core/errors.ts';
import { readNamespace, type KubeClients } from '../../../runner/environments/kube.ts';
import { createEnvironmentManager } from '../../../runner/environments/manager.ts';
import { envHarness, fakeBuild, testPipeline, type EnvHarness } from './harness.ts';

let h: EnvHarness;
let dir: string;
const password = 'pull-pa55word-s3cret';
const dockerConfig = JSON.stringify({ auths: { 'registry.example.test': { auth: Buffer.from(`robot:${password}`).toString('base64') } } });
before(async () => {
  h = await envHarness();
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-pull-'));
});
after(async () => {
  await h.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function prepare(kube: KubeClients, imagePullSecret: Record<string, string>, env: NodeJS.ProcessEnv, branch = 'main') {
  const pipeline = testPipeline({ environment: { namespace: '{{ .Pipeline }}-{{ .Branch }}', ttl: '1h', imagePullSecret } });
  const manager = createEnvironmentManager({ redis: h.redis, keys: h.keys, kube, log: h.log, env });
  const input = { pipeline, branch, build: fakeBuild(pipeline.metadata.name, branch), releases: ['web'] };
  return { manager, input, pipeline };
}

async function assertPullSecret(namespace: string, name: string) {
  const secret = await h.kube.core.listNamespacedSecret({ namespace });
  const s = secret.items.find((i) => i.metadata?.name === name);
  assert.ok(s, `no secret ${name} in ${namespace}`);
  assert.equal(s.type, 'kubernetes.io/dockerconfigjson');
  assert.equal(Buffer.from(s.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8'), dockerConfig);
  const sa = await h.kube.core.readNamespacedServiceAccount({ name: 'default', namespace });
  assert.deepEqual((sa.imagePullSecrets ?? []).map((r) => r.name).filter((n) => n === name), [name]);
}

void test('a new environment namespace gets the secret and its default ServiceAccount lists it (once)', async () => {
  const { manager, input } = await prepare(h.kube, { name: 'registry-creds', env: 'PULL_TEST_CONFIG' }, { PULL_TEST_CONFIG: dockerConfig });
  const { namespace } = await manager.prepare(input);
  h.track(namespace);
  await assertPullSecret(namespace, 'registry-creds');
  // the next deploy keeps one entry
  await manager.prepare(input);
  await assertPullSecret(namespace, 'registry-creds');
  const logged = h.lines.join('\n');
  assert.ok(logged.includes('image pull secret in place'));
  for (const form of [password, dockerConfig, Buffer.from(dockerConfig).toString('base64')]) assert.ok(!logged.includes(form));
});

void test('from a file the runner holds', async () => {
  const file = path.join(dir, 'config.json');
  await writeFile(file, dockerConfig);
  const { manager, input } = await prepare(h.kube, { name: 'creds-from-file', file }, {}, 'from-file');
  const { namespace } = await manager.prepare(input);
  h.track(namespace);
  await assertPullSecret(namespace, 'creds-from-file');
});

void test('a missing or malformed secret fails clearly, naming where and not what, and creates no namespace', async () => {
  for (const [env, pattern] of [
    [{}, /environment variable PULL_TEST_MISSING is not set/],
    [{ PULL_TEST_MISSING: `{"user":"x","pass":"${password}"}` }, /has no "auths" object/],
    [{ PULL_TEST_MISSING: `not json ${password}` }, /is not JSON/],
  ] as const) {
    const { manager, input, pipeline } = await prepare(h.kube, { name: 'registry-creds', env: 'PULL_TEST_MISSING' }, env, 'broken');
    const err = await manager.prepare(input).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes(password));
    assert.equal(await readNamespace(h.kube, `${pipeline.metadata.name}-broken`), undefined);
  }
});
