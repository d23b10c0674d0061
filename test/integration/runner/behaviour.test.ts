// Runner behaviour users rely on: a cancel that arrives once the deploy has started is ignored
// (the deploy finishes, the log says so); a push is retried a bounded number of times and a
// build never; a push whose paths filter matched nothing ends 'no changes in paths'; SIGTERM
// (close) stops taking jobs and lets running builds finish, or cancels them past the grace.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { publishCancel } from '../../../core/cancel.ts';
import { withNamespaceLock } from '../../../runner/lock.ts';
import { runnerHarness } from './harness.ts';
import { buildahArgv } from '../../helpers/buildah-argv.ts';

void test('a cancel after the deploy started is ignored: the deploy finishes and the log says so', async () => {
  const h = await runnerHarness();
  try {
    const pipeline = h.pipeline();
    await h.runner([pipeline]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // hold the namespace's deploy lock so the deploy stage waits inside itself
    const holder = withNamespaceLock(h.redis, h.keys, h.namespace, async () => {
      locked();
      await held;
    });
    await isLocked;
    const build = await h.enqueue(pipeline);
    await h.waitLog(build.id, /waiting for the deploy lock/);
    await h.store.update(build.id, (r) => ({ ...r, cancelRequested: 'superseded by a test' }));
    await publishCancel(h.redis, h.keys, { buildId: build.id, reason: 'superseded by a test' });
    await h.waitLog(build.id, /cancel ignored: the deploy has started/);
    release();
    await holder;
    const done = await h.waitFinal(build.id);
    assert.equal(done.status, 'succeeded', await h.logs.text(build.id));
    assert.equal((await h.helm('status', 'app', '--namespace', h.namespace)).exitCode, 0);
  } finally {
    await h.cleanup();
  }
});

void test('a failing push is retried a bounded number of times; the build itself runs once', async () => {
  const h = await runnerHarness();
  try {
    // nothing listens on port 1: every push fails
    const pipeline = h.pipeline({ deploy: {} });
    pipeline.build.artifacts[0]!.image = '127.0.0.1:1/slipway-runner-test/unreachable';
    await h.runner([pipeline], { pushAttempts: 3, pushBackoffMs: 50 });
    const done = await h.waitFinal((await h.enqueue(pipeline)).id);
    const log = await h.logs.text(done.id);
    assert.equal(done.status, 'failed');
    assert.match(done.reason!, /^build failed: buildah .* push/);
    assert.match(log, /attempt 1 of 3/);
    assert.match(log, /attempt 2 of 3/);
    assert.doesNotMatch(log, /attempt 3 of 3/);
    const argvs = h.calls.map((c) => c.argv);
    assert.equal(argvs.filter((a) => buildahArgv(a)?.includes('bud')).length, 1);
    assert.equal(argvs.filter((a) => a[0] === 'buildah' && a.includes('push')).length, 3);
  } finally {
    await h.cleanup();
  }
});

void test('a push the webhook could not filter: no matching path → succeeded, "no changes in paths"', async () => {
  const h = await runnerHarness();
  try {
    const pipeline = h.pipeline({ on: { push: { paths: ['src/**'] } } });
    await h.runner([pipeline]);
    const before = await h.repo.head();
    const after = await h.repo.commit({ 'docs/notes.md': 'only docs\n' });
    const done = await h.waitFinal((await h.enqueue(pipeline, { sha: after, before, pathsUndecided: true })).id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.reason, 'no changes in paths');
    assert.deepEqual(done.stages.map((s) => s.status), ['succeeded', 'skipped', 'skipped', 'skipped', 'skipped']);
    assert.equal(h.calls.length, 0, 'nothing was built');

    const changed = await h.repo.commit({ 'src/app.txt': 'code\n' });
    const built = await h.waitFinal((await h.enqueue(h.pipeline({ on: { push: { paths: ['src/**'] } }, deploy: {} }), { sha: changed, before: after, pathsUndecided: true })).id);
    assert.equal(built.status, 'succeeded', await h.logs.text(built.id));
    assert.equal(built.reason, undefined);
    assert.equal(built.images.length, 1);
  } finally {
    await h.cleanup();
  }
});

void test('close (SIGTERM) stops taking jobs and lets the running build finish; past the grace it is cancelled', async () => {
  const h = await runnerHarness();
  try {
    // The gate is an HTTP answer: a sandboxed step sees no file outside its workspace.
    let open = false;
    const gateServer = createServer((_req, res) => res.end(open ? 'go' : 'wait'));
    await new Promise<void>((resolve) => gateServer.listen(0, '127.0.0.1', resolve));
    gateServer.unref();
    const gate = `http://127.0.0.1:${(gateServer.address() as { port: number }).port}/`;
    const pipeline = h.pipeline({
      build: { artifacts: [] },
      deploy: {},
      test: [{ name: 'wait', run: ['sh', '-c', `echo started; while [ "$(curl -fsS ${gate})" != go ]; do sleep 0.05; done; echo finished`] }],
    });
    const runner = await h.runner([pipeline]);
    const first = await h.enqueue(pipeline);
    await h.waitLog(first.id, /started/);
    const closing = runner.close(120_000);
    await sleep(300);
    const second = await h.enqueue(pipeline);
    await sleep(500);
    assert.equal((await h.store.require(second.id)).status, 'queued', 'a closing runner took a new job');
    open = true;
    await closing;
    const done = await h.store.require(first.id);
    assert.equal(done.status, 'succeeded');
    assert.match(await h.logs.text(first.id), /finished/);
    assert.equal((await h.store.require(second.id)).status, 'queued');

    const forever = h.pipeline({ build: { artifacts: [] }, deploy: {}, test: [{ name: 'hang', run: ['sh', '-c', 'echo hanging; exec sleep 300'] }] });
    let current = pipeline;
    const runner2 = await h.runner(() => current);
    // the next runner picks the queued build up (the gate is open now)
    assert.equal((await h.waitFinal(second.id)).status, 'succeeded');
    current = forever;
    const third = await h.enqueue(forever);
    await h.waitLog(third.id, /hanging/);
    await runner2.close(200);
    const cancelled = await h.store.require(third.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.match(cancelled.reason!, /grace period/);
  } finally {
    await h.cleanup();
  }
});
