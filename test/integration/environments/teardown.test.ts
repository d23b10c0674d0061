// Teardown against the testenv: through the BullMQ teardown worker, and while a deploy holds the lock.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
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

void test('a teardown that fails permanently is not retried; one that fails transiently is, and succeeds once it can', async () => {
  const pipeline = testPipeline();
  const connection = { url: testenv().redisUrl };
  const queue = new Queue<TeardownJob>(TEARDOWN_QUEUE, { connection, prefix: h.bullPrefix });
  const events = new QueueEvents(TEARDOWN_QUEUE, { connection, prefix: h.bullPrefix });
  const options = { attempts: 4, backoff: { type: 'fixed', delay: 200 } };
  const workerFor = (helmEnv: Record<string, string>) =>
    createTeardownWorker({ connection, prefix: h.bullPrefix, redis: h.redis, keys: h.keys, kube: h.kube, log: h.log, helm: { bin: testenv().helm, env: helmEnv } });
  await events.waitUntilReady();
  try {
    // helm refuses (an unknown storage driver): the same every time
    await h.deploy(pipeline, 'feature/refused');
    const refusing = workerFor({ ...h.helmEnv, HELM_DRIVER: 'bogus' });
    try {
      const job = await queue.add('teardown', { pipeline: pipeline.metadata.name, branch: 'feature/refused', reason: 'test' }, { ...options, jobId: teardownJobId(pipeline.metadata.name, 'feature/refused') });
      await assert.rejects(job.waitUntilFinished(events), /permanent: [\s\S]*unknown driver/);
      const failed = await queue.getJob(job.id!);
      assert.equal(failed?.attemptsMade, 1, 'tried once');
    } finally {
      await refusing.close();
    }

    // the cluster unreachable for helm: tried again with backoff, and done when it answers again
    const { namespace } = await h.deploy(pipeline, 'feature/flaky');
    const unreachable = path.join(await mkdtemp(path.join(tmpdir(), 'slipway-teardown-')), 'kubeconfig');
    const kubeconfig = await readFile(testenv().kubeconfig, 'utf8');
    await writeFile(unreachable, kubeconfig.replace(/server: .*/g, 'server: https://127.0.0.1:1'));
    const flaky = workerFor({ ...h.helmEnv, KUBECONFIG: unreachable });
    try {
      const job = await queue.add('teardown', { pipeline: pipeline.metadata.name, branch: 'feature/flaky', reason: 'test' }, { ...options, jobId: teardownJobId(pipeline.metadata.name, 'feature/flaky') });
      for (let i = 0; i < 100 && ((await queue.getJob(job.id!))?.attemptsMade ?? 0) < 2; i++) await sleep(100);
      assert.ok(((await queue.getJob(job.id!))?.attemptsMade ?? 0) >= 2, 'tried again after a transient failure');
      await writeFile(unreachable, kubeconfig); // the cluster is back
      await job.waitUntilFinished(events);
      assert.equal(await h.helmStatus('web', namespace), undefined, 'release uninstalled');
      assert.equal((await new EnvStore(h.redis, h.keys).get(pipeline.metadata.name, 'feature/flaky'))?.status, 'deleted');
    } finally {
      await flaky.close();
      await rm(path.dirname(unreachable), { recursive: true, force: true });
    }
  } finally {
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
});
