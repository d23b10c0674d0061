// A queued build is its record plus a BullMQ job added through Queue.add (jobId = build id); a
// cancel takes the job off with Queue.remove. These tests hold what users see: the job a worker
// takes, what is left when BullMQ refuses the job, the crash window between record and job (the job
// repair closes it), and the cancel of a queued or a just-taken build.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'bullmq';
import { acceptDelivery, type PlannedDelivery } from '../../../core/accept-delivery.ts';
import { BuildStore, newRecord } from '../../../core/build-store.ts';
import { cancelBuild } from '../../../core/cancel-build.ts';
import { LogStream } from '../../../core/log-stream.ts';
import { queueBuild, repairUnqueued, type TriggerDeps } from '../../../core/trigger.ts';
import { bullConnection } from '../../../core/bull-connection.ts';
import { BUILD_QUEUE, createQueues, type BuildJob, type Queues } from '../../../core/queue.ts';
import { testenv, testRedis, type TestRedis } from '../../helpers/testenv.ts';

let t: TestRedis;
let queues: Queues;
let store: BuildStore;
let deps: TriggerDeps;

before(async () => {
  t = await testRedis();
  queues = createQueues(bullConnection(testenv().redisUrl), t.bullPrefix);
  store = new BuildStore(t.redis, t.keys);
  deps = { redis: t.redis, keys: t.keys, builds: store, logs: new LogStream(t.redis, t.keys), queues };
});

after(async () => {
  await queues.close();
  await t.cleanup();
});

const input = (pipeline: string, branch = 'main') => ({
  pipeline,
  trigger: { type: 'push' as const },
  repo: 'https://git.example/acme/app.git',
  branch,
  sha: 'c'.repeat(40),
});

const delivery = (pipeline: string, id: string): PlannedDelivery => ({ forge: 'github', deliveryId: id, builds: [{ ...input(pipeline), before: 'b'.repeat(40) }], teardowns: [] });

void test('a queued build has its job, jobId = build id, with the queue default options, and is not left listed for repair', async () => {
  const build = await queueBuild(deps, input('shop'));
  assert.equal(build.id, 'shop-1');
  const job = await queues.builds.getJob(build.id);
  assert.ok(job);
  assert.equal(job.name, 'build');
  assert.deepEqual(job.data, { buildId: 'shop-1' });
  assert.equal(job.opts.attempts, 1);
  assert.equal(await queues.builds.getJobState(build.id), 'waiting');
  assert.equal((await store.require(build.id)).status, 'queued');
  await new Promise<void>((r) => setTimeout(r, 50)); // the listing is dropped after the answer
  assert.deepEqual(await t.redis.zrange(t.keys.unqueued(), '0', '-1'), []);
  await queues.builds.obliterate({ force: true });
});

void test('a worker takes the job and sees the build id; a paused queue holds it', async () => {
  await queues.builds.pause();
  await queueBuild(deps, input('cart'));
  const seen: string[] = [];
  const worker = new Worker<BuildJob>(
    BUILD_QUEUE,
    async (job) => {
      seen.push(`${job.id}:${job.data.buildId}`);
    },
    { connection: bullConnection(testenv().redisUrl), prefix: t.bullPrefix },
  );
  try {
    await queues.builds.resume();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker saw only ${seen.join(', ')}`)), 15_000);
      worker.on('completed', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } finally {
    await worker.close();
  }
  assert.deepEqual(seen, ['cart-1:cart-1']);
  await queues.builds.obliterate({ force: true });
});

void test('when BullMQ refuses the job, no record is left and the redelivery builds with the same number', async () => {
  const meta = `${t.bullPrefix}:${BUILD_QUEUE}:meta`;
  await t.redis.del(meta);
  await t.redis.set(meta, 'not a hash'); // BullMQ's add fails: WRONGTYPE
  await assert.rejects(acceptDelivery(deps, delivery('api', 'delivery-1')), /WRONGTYPE/);
  assert.deepEqual(await store.list('api'), []);
  assert.deepEqual(await queues.builds.getWaiting(), []);

  await t.redis.del(meta);
  const retried = await acceptDelivery(deps, delivery('api', 'delivery-1'));
  assert.deepEqual(retried.builds.map((b) => b.build.id), ['api-1']);
  assert.deepEqual((await store.list('api')).map((b) => b.id), ['api-1']);
  assert.deepEqual((await queues.builds.getWaiting()).map((j) => j.id), ['api-1']);
  // And a redelivery of it now is a duplicate.
  assert.equal((await acceptDelivery(deps, delivery('api', 'delivery-1'))).duplicate, 'delivery');
  await queues.builds.obliterate({ force: true });
});

void test('a record whose process died before Queue.add gets its job from the repair, once', async () => {
  // The first half of queueBuild only: the record, listed as unqueued, and no job.
  const orphan = newRecord({ ...input('repo'), status: 'queued' }, await store.nextNumber('repo'));
  await store.insert(orphan);
  const healthy = await queueBuild(deps, input('repo', 'other'));
  assert.equal(await queues.builds.getJob(orphan.id), undefined);
  // Not before its grace has passed (it may be on its way).
  assert.deepEqual(await repairUnqueued(deps), []);
  assert.deepEqual(await repairUnqueued(deps, 0), [orphan.id]);
  assert.deepEqual((await queues.builds.getWaiting()).map((j) => j.id).sort(), [healthy.id, orphan.id].sort());
  assert.deepEqual((await queues.builds.getJob(orphan.id))?.data, { buildId: orphan.id });
  assert.deepEqual(await repairUnqueued(deps, 0), [], 'nothing is left to repair');
  await queues.builds.obliterate({ force: true });
});

void test('cancelling a queued build removes its job and records why', async () => {
  await queues.builds.obliterate({ force: true });
  const build = await queueBuild(deps, input('docs'));
  assert.equal(await cancelBuild(deps, build.id, 'superseded by docs-9'), 'cancelled');
  assert.equal(await queues.builds.getJob(build.id), undefined);
  assert.deepEqual(await t.redis.keys(`${t.bullPrefix}:${BUILD_QUEUE}:${build.id}*`), []);
  assert.deepEqual(await queues.builds.getWaiting(), []);
  const record = await store.require(build.id);
  assert.equal(record.status, 'cancelled');
  assert.equal(record.reason, 'superseded by docs-9');
  assert.ok(record.finishedAt);
  const log = await deps.logs.read(build.id);
  assert.deepEqual(
    log.map((e) => e.line ?? `status ${e.status}`),
    ['cancelled: superseded by docs-9', 'status cancelled'],
  );
  // A second cancel finds it finished, and the repair gives a cancelled build no job.
  assert.equal(await cancelBuild(deps, build.id, 'again'), 'already-finished');
  assert.deepEqual(await repairUnqueued(deps, 0), []);
});

void test('a queued build a worker has just taken is not removed: the cancel becomes a stop request', async () => {
  await queues.builds.obliterate({ force: true });
  const build = await queueBuild(deps, input('site'));
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let taken!: () => void;
  const takenP = new Promise<void>((resolve) => (taken = resolve));
  const worker = new Worker<BuildJob>(
    BUILD_QUEUE,
    async () => {
      taken();
      await held;
    },
    { connection: bullConnection(testenv().redisUrl), prefix: t.bullPrefix },
  );
  try {
    await takenP; // the record still says queued: the runner has not written "running" yet
    assert.equal((await store.require(build.id)).status, 'queued');
    assert.equal(await cancelBuild(deps, build.id, 'cancelled by ann'), 'stop-requested');
    const record = await store.require(build.id);
    assert.equal(record.status, 'queued');
    assert.equal(record.cancelRequested, 'cancelled by ann');
    assert.equal(await queues.builds.getJobState(build.id), 'active');
  } finally {
    release();
    await worker.close();
  }
  await queues.builds.obliterate({ force: true });
});

void test('after Redis forgets its scripts (a restart), the next build is queued all the same', async () => {
  await queues.builds.obliterate({ force: true });
  await t.redis.script('FLUSH');
  const build = await queueBuild(deps, input('after-flush'));
  assert.deepEqual((await queues.builds.getWaiting()).map((j) => j.id), [build.id]);
  assert.equal((await store.require(build.id)).status, 'queued');
});
