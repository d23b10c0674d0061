// The keeper's leak scan against the testenv: Slipway-labelled namespaces that no live record owns
// are torn down (helm release and namespace) once past the grace period and logged; a namespace
// a live record owns, an orphan still within the grace, and a namespace without Slipway's label
// are kept. And reconcile tears down the environments of a pipeline no longer loaded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvStore } from '../../../core/env-store.ts';
import { exec } from '../../../runner/exec.ts';
import { startEnvironmentKeeper, type KeeperOptions } from '../../../runner/environments/keeper.ts';
import { DEV_LABEL, ensureNamespace, MANAGED_BY_LABEL, MANAGED_BY_VALUE, PIPELINE_LABEL, readNamespace } from '../../../runner/environments/kube.ts';
import { testenv } from '../../helpers/testenv.ts';
import { CHART, envHarness, testPipeline, type EnvHarness } from './harness.ts';

let h: EnvHarness;
before(async () => {
  h = await envHarness();
});
after(async () => {
  await h.cleanup();
});

/** A namespace labelled for pipeline `pipeline`, with Slipway's managed-by label when `slipway`. */
async function makeNamespace(name: string, pipeline: string, slipway: boolean): Promise<void> {
  h.track(name);
  const labels: Record<string, string> = { [PIPELINE_LABEL]: pipeline, ...(slipway ? { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } : {}) };
  await h.kube.core.createNamespace({ body: { metadata: { name, labels } } });
}

function keeperFor(pipelineName: string, extra: Partial<KeeperOptions>) {
  return startEnvironmentKeeper({
    connection: { url: testenv().redisUrl },
    prefix: h.bullPrefix,
    redis: h.redis,
    keys: h.keys,
    kube: h.kube,
    log: h.log,
    helm: { bin: testenv().helm, env: h.helmEnv },
    git: { lsRemoteBranches: async () => [{ branch: 'main' }] },
    pipelines: () => [],
    intervalMs: 3_600_000,
    // the cluster is shared: only this test's namespaces
    leakScan: { graceMs: 0, labelSelector: `${PIPELINE_LABEL}=${pipelineName}` },
    ...extra,
  });
}

void test('the leak scan tears down an orphaned Slipway namespace and its release, keeps owned and foreign ones', async () => {
  const pipeline = testPipeline();
  const name = pipeline.metadata.name;
  const owned = await h.deploy(pipeline, 'main');
  const orphan = `${name}-orphan`;
  const foreign = `${name}-foreign`;
  await makeNamespace(orphan, name, true);
  await makeNamespace(foreign, name, false);
  await exec([testenv().helm, 'install', 'web', CHART, '--namespace', orphan, '--set', `host=${orphan}.example.test`], { env: h.helmEnv, timeoutMs: 120_000 });
  assert.equal((await h.helmStatus('web', orphan))?.status, 'deployed');

  const keeper = keeperFor(name, { pipelines: () => [pipeline] });
  try {
    const round = await keeper.runOnce();
    assert.deepEqual(round.leaked, [orphan]);
  } finally {
    await keeper.close();
  }
  assert.equal(await readNamespace(h.kube, orphan), undefined);
  const line = h.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'orphaned environment torn down' && l.namespace === orphan);
  assert.ok(line, 'the teardown is logged');
  assert.equal(line.reason, 'no live environment record owns it');
  assert.deepEqual(line.releases, ['web']);
  assert.ok(await readNamespace(h.kube, owned.namespace), 'a namespace a live record owns is kept');
  assert.equal((await h.helmStatus('web', owned.namespace))?.status, 'deployed');
  assert.ok(await readNamespace(h.kube, foreign), 'a namespace without Slipway\'s label is never touched');
});

void test('the leak scan keeps an orphaned namespace within the grace period', async () => {
  const pipeline = testPipeline();
  const name = pipeline.metadata.name;
  const young = `${name}-young`;
  await makeNamespace(young, name, true);
  const keeper = keeperFor(name, { pipelines: () => [pipeline], leakScan: { graceMs: 60 * 60_000, labelSelector: `${PIPELINE_LABEL}=${name}` } });
  try {
    assert.deepEqual((await keeper.runOnce()).leaked, []);
  } finally {
    await keeper.close();
  }
  assert.ok(await readNamespace(h.kube, young));
  // past the grace, the same namespace goes
  const late = keeperFor(name, { pipelines: () => [pipeline] });
  try {
    assert.deepEqual((await late.runOnce()).leaked, [young]);
  } finally {
    await late.close();
  }
  assert.equal(await readNamespace(h.kube, young), undefined);
});

void test("the leak scan leaves the namespaces of pipelines it does not know (another installation's) alone", async () => {
  const name = testPipeline().metadata.name;
  const theirs = `${name}-theirs`;
  await makeNamespace(theirs, name, true);
  const keeper = keeperFor(name, {});
  try {
    assert.deepEqual((await keeper.runOnce()).leaked, []);
  } finally {
    await keeper.close();
  }
  assert.ok(await readNamespace(h.kube, theirs), 'a namespace of a pipeline neither loaded nor built here is kept');
});

void test('reconcile tears down the environments of a pipeline no longer loaded', async () => {
  const dropped = testPipeline();
  const loaded = testPipeline();
  const gone = await h.deploy(dropped, 'main');
  const kept = await h.deploy(loaded, 'main');
  const keeper = keeperFor(dropped.metadata.name, { pipelines: () => [loaded], leakScan: false });
  const store = new EnvStore(h.redis, h.keys);
  try {
    const round = await keeper.runOnce();
    // (the first test's pipeline is not loaded either)
    assert.ok(round.reconciled.includes(gone.id));
    assert.ok(!round.reconciled.includes(kept.id));
    for (;;) {
      const rec = await store.get(dropped.metadata.name, 'main');
      if (rec?.status === 'deleted') {
        assert.equal(rec.deletedReason, 'pipeline no longer loaded (found by reconcile)');
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await keeper.close();
  }
  assert.equal(await readNamespace(h.kube, gone.namespace), undefined);
  assert.equal((await store.get(loaded.metadata.name, 'main'))?.status, 'ready');
  assert.ok(await readNamespace(h.kube, kept.namespace));
});

void test('the leak scan leaves a slipway dev namespace alone (no record, same pipeline) and still tears down a real leak', async () => {
  const pipeline = testPipeline();
  const name = pipeline.metadata.name;
  const dev = `${name}-dev`;
  const leak = `${name}-leak`;
  h.track(dev);
  // labelled as slipway dev's loop labels it (runner/dev/dev-loop.ts)
  await ensureNamespace(h.kube, dev, { pipeline: name, environment: `dev.${dev}`, branch: 'dev-me', dev: true });
  assert.equal((await readNamespace(h.kube, dev))?.metadata?.labels?.[DEV_LABEL], 'true');
  await makeNamespace(leak, name, true);
  const keeper = keeperFor(name, { pipelines: () => [pipeline] });
  try {
    assert.deepEqual((await keeper.runOnce()).leaked, [leak]);
  } finally {
    await keeper.close();
  }
  assert.ok(await readNamespace(h.kube, dev), 'the dev namespace is kept');
});
