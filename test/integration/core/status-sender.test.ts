// The ordered commit-status sender against the real Redis and a local stand-in for Gitea: two
// senders (server and runner) sharing one build's statuses never deliver a pending one after the
// final one, and a final status reaches the forge without the pipeline, from what the first kept.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../../core/logger.ts';
import { createStatusSender } from '../../../core/status-sender.ts';
import { Pipeline } from '../../../pipelines/schema.ts';
import { eventually } from '../../helpers/eventually.ts';
import { forgeStandIn } from '../../helpers/forge-stand-in.ts';
import { testRedis, type TestRedis } from '../../helpers/testenv.ts';

let r: TestRedis;
before(async () => {
  r = await testRedis();
});
after(async () => r.cleanup());

const SHA = 'b'.repeat(40);
const env = { GITEA_TOKEN: 'gitea-token-5a1e' };

function pipeline(apiUrl: string): Pipeline {
  return Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: 'app' },
    source: { repo: 'http://127.0.0.1:3001/team/app.git', status: { forge: 'gitea', apiUrl, token: { env: 'GITEA_TOKEN' } } },
  });
}

const sender = () => createStatusSender({ redis: r.redis, keys: r.keys, publicUrl: 'http://slipway.test', log: silentLogger(), env, timeoutMs: 3000 });

void test('a slow queued status is never overtaken: the final one waits for it, and a pending one after the final is dropped', async () => {
  // the forge takes 800 ms to answer the first (queued) status
  const forge = await forgeStandIn(201, { delayMs: (req) => (req.body.description === 'queued' ? 800 : 0) });
  try {
    const server = sender();
    const runner = sender();
    const p = pipeline(forge.url);
    const build = { id: 'app-1', sha: SHA, number: 1 };
    const queued = server.send({ build, pipeline: p, phase: 'queued', state: 'pending', description: 'queued' });
    await eventually(async () => forge.seen.length === 1 || undefined, 'the queued status in flight'); // the forge has not answered yet
    const final = runner.send({ build, pipeline: p, phase: 'final', state: 'failure', description: 'test failed' });
    const running = runner.send({ build, pipeline: p, phase: 'running', state: 'pending', description: 'running' });
    assert.deepEqual(await running, { sent: false, reason: 'a later status was already sent' });
    assert.deepEqual(await final, { sent: true, status: 201 });
    assert.deepEqual(await queued, { sent: true, status: 201 });
    assert.deepEqual(forge.seen.map((s) => [s.body.state, s.body.description]), [['pending', 'queued'], ['failure', 'test failed']]);
    // a late pending (e.g. a runner's, after the server ended the build) goes nowhere
    assert.equal((await server.send({ build, pipeline: p, phase: 'running', state: 'pending' })).sent, false);
    assert.equal(forge.seen.length, 2);
  } finally {
    await forge.close();
  }
});

void test('a final status without the pipeline goes where the earlier status went; a build never reported gets none', async () => {
  const forge = await forgeStandIn(201);
  try {
    const build = { id: 'app-2', sha: SHA, number: 2 };
    await sender().send({ build, pipeline: pipeline(forge.url), phase: 'queued', state: 'pending', description: 'queued' });
    const res = await sender().send({ build, phase: 'final', state: 'failure', description: 'pipeline app is not loaded on this runner' });
    assert.deepEqual(res, { sent: true, status: 201 });
    assert.deepEqual(forge.seen.map((s) => [s.url, s.body.state, s.body.description, s.body.target_url]), [
      [`/api/v1/repos/team/app/statuses/${SHA}`, 'pending', 'queued', 'http://slipway.test/builds/app-2'],
      [`/api/v1/repos/team/app/statuses/${SHA}`, 'failure', 'pipeline app is not loaded on this runner', 'http://slipway.test/builds/app-2'],
    ]);
    assert.deepEqual(await sender().send({ build: { id: 'app-3', sha: SHA }, phase: 'final', state: 'error' }), { sent: false, reason: 'no status configured' });
    assert.equal(forge.seen.length, 2);
    // the token is never kept in Redis
    assert.doesNotMatch(JSON.stringify(await r.redis.hgetall(r.keys.commitStatus('app-2'))), /gitea-token/);
  } finally {
    await forge.close();
  }
});
