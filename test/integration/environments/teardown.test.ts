// Teardown against the testenv: through the BullMQ teardown worker, and while a deploy holds the lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, QueueEvents } from 'bullmq';
import { EnvStore } from '../../../core/env-store.ts';
import { TEARDOWN_QUEUE, teardownJobId, type TeardownJob } from '../../../core/queue.ts';
import { exec } from '../../../runner/exec.ts';
import { withNamespaceLock } from '../../../runner/lock.ts';
import { readNamespace } from '../../../runner/environments/kube.ts';
import { createTeardownWorker } from '../../../runner/environments/teardown-worker.ts';
import { teardownEnvironment } from '../../../runner/environments/teardown.ts';
import { testenv } from '../../helpers/testenv.ts';
import { CHART, envHarness, fakeBuild, testPipeline, type EnvHarness } from './harness.ts';

let h: EnvHarness;
before(async () => {
  h = await envHarness();
});
after(async () => {
  await h.cleanup();
});

void test('a teardown job uninstalls the release, deletes the namespace and marks the record deleted with its reason', async () => {
  const pipeline = testPipeline();
  const { namespace } = await h.deploy(pipeline, 'feature/gone');
  const connection = { url: testenv().redisUrl };
  const queue = new Queue<TeardownJob>(TEARDOWN_QUEUE, { connection, prefix: h.bullPrefix });
  const events = new QueueEvents(TEARDOWN_QUEUE, { connection, prefix: h.bullPrefix });
  const worker = createTeardownWorker({ connection, prefix: h.bullPrefix, redis: h.redis, keys: h.keys, kube: h.kube, log: h.log, helm: { bin: testenv().helm, env: h.helmEnv } });
  try {
    await events.waitUntilReady();
    const job = await queue.add('teardown', { pipeline: pipeline.metadata.name, branch: 'feature/gone', reason: 'branch deleted (webhook)' }, { jobId: teardownJobId(pipeline.metadata.name, 'feature/gone') });
    await job.waitUntilFinished(events);

    assert.equal(await h.helmStatus('web', namespace), undefined, 'release uninstalled');
    assert.equal(await readNamespace(h.kube, namespace), undefined, 'namespace gone');
    const rec = await new EnvStore(h.redis, h.keys).get(pipeline.metadata.name, 'feature/gone');
    assert.equal(rec?.status, 'deleted');
    assert.equal(rec?.deletedReason, 'branch deleted (webhook)');
    assert.ok(rec?.deletedAt);
    assert.equal(rec?.expiresAt, undefined);

    // Idempotent: a second job for the same environment succeeds and changes nothing.
    const again = await queue.add('teardown', { pipeline: pipeline.metadata.name, branch: 'feature/gone', reason: 'again' }, { jobId: teardownJobId(pipeline.metadata.name, 'feature/gone', 1) });
    await again.waitUntilFinished(events);
    assert.equal((await new EnvStore(h.redis, h.keys).get(pipeline.metadata.name, 'feature/gone'))?.deletedReason, 'branch deleted (webhook)');
    assert.ok(h.lines.some((l) => l.includes('environment torn down')));
  } finally {
    await worker.close();
    await events.close();
    await queue.close();
  }
});

void test('a teardown while a deploy holds the namespace lock waits for the deploy to finish', async () => {
  const pipeline = testPipeline();
  const branch = 'feature/busy';
  const manager = h.manager();
  const { namespace } = await h.deploy(pipeline, branch, { manager });
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const holding = new Promise<void>((r) => (locked = r));

  // A second deploy takes the lock and holds it until the gate opens.
  const deploy = withNamespaceLock(h.redis, h.keys, namespace, async () => {
    locked();
    await gate;
    await exec([testenv().helm, 'upgrade', '--install', 'web', CHART, '--namespace', namespace, '--wait', '--timeout', '2m'], { env: h.helmEnv });
    const build = fakeBuild(pipeline.metadata.name, branch);
    await manager.recordDeploy({ pipeline, branch, build, namespace, releases: ['web'] });
    order.push('deploy finished');
  });
  await holding;

  let waiting!: () => void;
  const isWaiting = new Promise<void>((r) => (waiting = r));
  const teardown = teardownEnvironment(
    { redis: h.redis, keys: h.keys, kube: h.kube, log: h.log, helm: { bin: testenv().helm, env: h.helmEnv }, lock: { pollMs: 50, onWait: () => waiting() } },
    { pipeline: pipeline.metadata.name, branch, reason: 'branch deleted' },
  ).then((rec) => {
    order.push('teardown finished');
    return rec;
  });
  await isWaiting;
  assert.ok(h.lines.some((l) => l.includes('teardown waiting for the deploy lock')));

  assert.equal((await new EnvStore(h.redis, h.keys).get(pipeline.metadata.name, branch))?.status, 'ready', 'nothing torn down while the deploy holds the lock');
  release();
  await deploy;
  const rec = await teardown;
  assert.deepEqual(order, ['deploy finished', 'teardown finished']);
  assert.equal(rec?.status, 'deleted');
  assert.equal(await readNamespace(h.kube, namespace), undefined);
});
