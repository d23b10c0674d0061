// Commit statuses from a real build: pending while it runs, then the result with target_url, in
// that order, to a local stand-in for GitHub; a forge that answers 500 leaves the build green.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../../core/logger.ts';
import { createStatusSender } from '../../../core/status-sender.ts';
import type { Pipeline } from '../../../pipelines/schema.ts';
import { forgeStandIn } from '../../helpers/forge-stand-in.ts';
import { eventually } from '../../helpers/eventually.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

let h: RunnerHarness;
/** What the one runner of this file knows the pipeline as: each test points it at its own forge. */
let current: Pipeline | undefined;
before(async () => {
  h = await runnerHarness();
  process.env.RT_STATUS_TOKEN = 'status-token-4e1f';
  await h.runner(() => current);
});
after(async () => {
  await h.cleanup();
});

const withStatus = (apiUrl: string) => ({
  source: { repo: h.repo.url, allowLocal: true, status: { forge: 'github', apiUrl, token: { env: 'RT_STATUS_TOKEN' } } },
  deploy: {},
});

void test('a build reports pending when it starts and success at the end, linking to the build', async () => {
  const forge = await forgeStandIn(201);
  try {
    const pipeline = (current = h.pipeline(withStatus(forge.url)));
    const build = await h.waitFinal((await h.enqueue(pipeline)).id);
    assert.equal(build.status, 'succeeded', await h.logs.text(build.id));
    assert.deepEqual(forge.seen.map((s) => s.body.state), ['pending', 'success']);
    for (const s of forge.seen) {
      assert.equal(s.method, 'POST');
      assert.match(s.url, new RegExp(`^/api/v3/repos/[^/]+/[^/]+/statuses/${build.sha}$`));
      assert.equal(s.headers.authorization, 'token status-token-4e1f');
      assert.equal(s.body.target_url, `http://127.0.0.1:1/builds/${build.id}`);
      assert.equal(s.body.context, `slipway/${pipeline.metadata.name}`);
    }
    assert.doesNotMatch(await h.logs.text(build.id), /status-token-4e1f/);
  } finally {
    await forge.close();
  }
});

void test('a forge that answers 500 does not fail the build', async () => {
  const forge = await forgeStandIn(500);
  try {
    const pipeline = (current = h.pipeline(withStatus(forge.url)));
    const build = await h.waitFinal((await h.enqueue(pipeline)).id);
    assert.equal(build.status, 'succeeded');
    assert.ok(forge.seen.length >= 2, 'the statuses were attempted');
    assert.match(await h.logs.text(build.id), /commit status not sent/);
  } finally {
    await forge.close();
  }
});

void test('a build whose pipeline is not loaded on the runner still gets its final status, where its queued one went', async () => {
  const forge = await forgeStandIn(201);
  try {
    const pipeline = h.pipeline(withStatus(forge.url));
    current = undefined; // the runner does not know it
    const build = await h.enqueue(pipeline);
    // what the server sends when it queues the build
    const server = createStatusSender({ redis: h.redis, keys: h.keys, publicUrl: 'http://127.0.0.1:1', log: silentLogger() });
    await server.send({ build, pipeline, phase: 'queued', state: 'pending', description: 'queued' });
    const done = await h.waitFinal(build.id);
    assert.equal(done.status, 'failed');
    await eventually(async () => forge.seen.length === 2 || undefined, 'the final status');
    assert.deepEqual(forge.seen.map((s) => [s.body.state, s.body.description]), [
      ['pending', 'queued'],
      ['failure', `pipeline ${pipeline.metadata.name} is not loaded on this runner`],
    ]);
  } finally {
    await forge.close();
  }
});
