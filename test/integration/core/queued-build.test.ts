// A queued build's record and its BullMQ job are written by one Redis script that runs BullMQ's own
// addStandardJob, and a cancel takes it off the queue with one that runs BullMQ's removeJob. These
// tests hold them against `queue.add` and `queue.remove`, against a real Worker, and check what is
// left behind when BullMQ's part fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'bullmq';
import { BuildStore } from '../../../core/build-store.ts';
import { LogStream } from '../../../core/log-stream.ts';
import { cancelBuild, queueBuild, type TriggerDeps } from '../../../core/trigger.ts';
import { bullConnection } from '../../../core/bull-connection.ts';
import { BUILD_QUEUE, createQueues, jobTarget, type BuildJob, type Queues } from '../../../core/queue.ts';
import { testenv, testRedis, type TestRedis } from '../../helpers/testenv.ts';

let t: TestRedis;
let queues: Queues;
let store: BuildStore;

before(async () => {
  t = await testRedis();
  queues = createQueues(bullConnection(testenv().redisUrl), t.bullPrefix);
  store = new BuildStore(t.redis, t.keys);
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

async function jobHash(id: string): Promise<Record<string, string>> {
  return t.redis.hgetall(`${t.bullPrefix}:${BUILD_QUEUE}:${id}`);
}

void test('the job written with the record is the one queue.add makes', async () => {
  const reference = await queues.builds.add('build', { buildId: 'reference-1' }, { jobId: 'reference-1' });
  const build = await store.create(input('shop'), jobTarget(queues.builds));
  assert.equal(build.id, 'shop-1');

  const ours = await jobHash(build.id);
  const theirs = await jobHash(reference.id!);
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
  for (const field of ['name', 'delay', 'priority']) assert.equal(ours[field], theirs[field], field);
  assert.deepEqual(JSON.parse(ours.data!), { buildId: 'shop-1' });
  assert.deepEqual(JSON.parse(ours.opts!), { ...JSON.parse(theirs.opts!), jobId: 'shop-1' });
  // Stamped with the record's creation time.
  assert.equal(Number(ours.timestamp), Date.parse(build.createdAt));

  assert.equal(await queues.builds.getJobState(build.id), await queues.builds.getJobState(reference.id!));
  const waiting = (await queues.builds.getWaiting()).map((j) => j.id).sort();
  assert.deepEqual(waiting, ['reference-1', 'shop-1']);
  // The same events a QueueEvents listener would see for an added job.
  const events = await t.redis.xrange(`${t.bullPrefix}:${BUILD_QUEUE}:events`, '-', '+');
  const forBuild = events.map(([, f]) => f).filter((f) => f.includes('shop-1'));
  assert.deepEqual(forBuild.map((f) => f[1]), ['added', 'waiting']);
  await queues.builds.obliterate({ force: true });
});

void test('a worker takes the job and sees the build id; a paused queue holds it as it holds added jobs', async () => {
  await queues.builds.pause();
  const build = await store.create(input('cart'), jobTarget(queues.builds));
  const reference = await queues.builds.add('build', { buildId: 'reference-2' }, { jobId: 'reference-2' });
  assert.equal(await queues.builds.getJobState(build.id), await queues.builds.getJobState(reference.id!));

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
        if (seen.length === 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    await worker.close();
  }
  assert.deepEqual(seen.sort(), ['cart-1:cart-1', 'reference-2:reference-2']);
  await queues.builds.obliterate({ force: true });
});

void test("when BullMQ's part fails, no record is left and the delivery can be tried again", async () => {
  const meta = `${t.bullPrefix}:${BUILD_QUEUE}:meta`;
  await t.redis.del(meta);
  await t.redis.set(meta, 'not a hash'); // BullMQ's HGET on it fails: WRONGTYPE
  const dedupe = { key: t.keys.delivery('github', 'delivery-1'), seconds: 60 };
  await assert.rejects(store.createUnlessDuplicate(input('api'), dedupe, jobTarget(queues.builds)), /could not be queued: .*WRONGTYPE/);
  assert.equal(await t.redis.exists(dedupe.key), 0, 'the delivery is released');
  assert.deepEqual(await store.list('api'), []);
  assert.deepEqual(await queues.builds.getWaiting(), []);

  await t.redis.del(meta);
  const retried = await store.createUnlessDuplicate(input('api'), dedupe, jobTarget(queues.builds));
  assert.ok(retried);
  assert.deepEqual(
    (await store.list('api')).map((b) => b.id),
    [retried.build.id],
  );
  assert.deepEqual(
    (await queues.builds.getWaiting()).map((j) => j.id),
    [retried.build.id],
  );
  // And a redelivery of it now is a duplicate.
  assert.equal(await store.createUnlessDuplicate(input('api'), dedupe, jobTarget(queues.builds)), undefined);
});

void test('cancelling a queued build removes its job as queue.remove does, and records why', async () => {
  await queues.builds.obliterate({ force: true });
  const deps: TriggerDeps = { redis: t.redis, keys: t.keys, builds: store, logs: new LogStream(t.redis, t.keys), queues };
  const build = await queueBuild(deps, input('docs'));
  const reference = await queues.builds.add('build', { buildId: 'reference-3' }, { jobId: 'reference-3' });
  assert.equal(await cancelBuild(deps, build.id, 'superseded by docs-9'), 'cancelled');
  await queues.builds.remove(reference.id!);
  for (const id of [build.id, reference.id!]) {
    assert.equal(await queues.builds.getJob(id), undefined, id);
    assert.deepEqual(await t.redis.keys(`${t.bullPrefix}:${BUILD_QUEUE}:${id}*`), [], id);
  }
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
  // A second cancel finds it finished.
  assert.equal(await cancelBuild(deps, build.id, 'again'), 'already-finished');
});

void test('a queued build a worker has just taken is not removed: the cancel becomes a stop request', async () => {
  await queues.builds.obliterate({ force: true });
  const deps: TriggerDeps = { redis: t.redis, keys: t.keys, builds: store, logs: new LogStream(t.redis, t.keys), queues };
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

void test('after Redis forgets its scripts (a restart), the next build loads the script again', async () => {
  await queues.builds.obliterate({ force: true });
  await t.redis.script('FLUSH');
  const build = await store.create(input('after-flush'), jobTarget(queues.builds));
  assert.deepEqual((await queues.builds.getWaiting()).map((j) => j.id), [build.id]);
  assert.equal((await store.require(build.id)).status, 'queued');
});
