import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlanArtifact } from '../../../../pipelines/plan.ts';
import { buildWithRequires } from '../../../../runner/builders/requires.ts';

const art = (image: string, requires: string[] = []): PlanArtifact => ({
  image,
  context: image,
  builder: { kind: 'dockerfile', dockerfile: 'Dockerfile', buildArgs: {} },
  requires: requires.map((r) => ({ image: r, alias: r.toUpperCase() })),
  platforms: [],
});

void test('a required artifact builds first and its result reaches the one requiring it; independent ones build at once', async () => {
  const events: string[] = [];
  let running = 0;
  let most = 0;
  const results = await buildWithRequires([art('api', ['base']), art('web'), art('base')], 3, async (a, required) => {
    running++;
    most = Math.max(most, running);
    events.push(`start ${a.image}`);
    await new Promise((r) => setTimeout(r, 20));
    running--;
    events.push(`end ${a.image}`);
    return `${a.image}:1${[...required.values()].map((v) => `<${v}>`).join('')}`;
  });
  assert.deepEqual(results, ['api:1<base:1>', 'web:1', 'base:1']);
  assert.ok(events.indexOf('start api') > events.indexOf('end base'));
  assert.equal(most, 2, 'web and base build at the same time');
});

void test('cycles and unknown requirements fail before anything builds; the first failure stops new starts', async () => {
  let built = 0;
  const count = () => Promise.resolve(built++);
  await assert.rejects(buildWithRequires([art('a', ['b']), art('b', ['a'])], 2, count), /cycle: a → b → a/);
  await assert.rejects(buildWithRequires([art('a', ['zzz'])], 2, count), /requires zzz, which is not an artifact/);
  assert.equal(built, 0);
  await assert.rejects(
    buildWithRequires([art('a'), art('b', ['a'])], 1, (x) => (x.image === 'a' ? Promise.reject(new Error('a broke')) : count())),
    /a broke/,
  );
  assert.equal(built, 0);
});
