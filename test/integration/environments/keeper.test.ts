// Sweeper and reconcile against the testenv: a real local git repository (branch deleted with no
// webhook), real helm releases, the teardown queue and worker through startEnvironmentKeeper.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EnvStore } from '../../../core/env-store.ts';
import type { EnvironmentRecord } from '../../../core/records.ts';
import { exec } from '../../../runner/exec.ts';
import { createGit } from '../../../runner/git.ts';
import { startEnvironmentKeeper } from '../../../runner/environments/keeper.ts';
import { readNamespace } from '../../../runner/environments/kube.ts';
import { reconcileEnvironments } from '../../../runner/environments/reconcile.ts';
import { sweepExpired } from '../../../runner/environments/sweeper.ts';
import { teardownEnvironment } from '../../../runner/environments/teardown.ts';
import { fixtureRepo } from '../../helpers/fixture-repo.ts';
import { testenv } from '../../helpers/testenv.ts';
import { envHarness, testPipeline, type EnvHarness } from './harness.ts';

let h: EnvHarness;
before(async () => {
  h = await envHarness();
});
after(async () => {
  await h.cleanup();
});

async function untilDeleted(store: EnvStore, pipeline: string, branch: string): Promise<EnvironmentRecord> {
  for (;;) {
    const rec = await store.get(pipeline, branch);
    if (rec?.status === 'deleted') return rec;
    await new Promise((r) => setTimeout(r, 100));
  }
}

void test('reconcile tears down the environment of a branch deleted from the repository without a webhook', async () => {
  const repo = await fixtureRepo();
  const workdir = await mkdtemp(path.join(tmpdir(), 'slipway-keeper-'));
  try {
    await repo.branch('feature/x');
    await repo.commit({ 'x.txt': 'x\n' });
    await repo.branch('main');
    const pipeline = testPipeline({ source: { repo: repo.url, allowLocal: true } });
    const name = pipeline.metadata.name;
    const kept = await h.deploy(pipeline, 'main');
    const doomed = await h.deploy(pipeline, 'feature/x');
    await exec(['git', '-C', repo.dir, 'branch', '-D', 'feature/x']);

    const keeper = startEnvironmentKeeper({
      connection: { url: testenv().redisUrl },
      prefix: h.bullPrefix,
      redis: h.redis,
      keys: h.keys,
      kube: h.kube,
      log: h.log,
      helm: { bin: testenv().helm, env: h.helmEnv },
      git: createGit({ workdir }),
      pipelines: () => [pipeline],
      intervalMs: 3_600_000,
      leakScan: false,
    });
    try {
      await keeper.runOnce();
      const store = new EnvStore(h.redis, h.keys);
      const rec = await untilDeleted(store, name, 'feature/x');
      assert.equal(rec.deletedReason, 'branch deleted (found by reconcile)');
      assert.equal(await readNamespace(h.kube, doomed.namespace), undefined);
      assert.equal(await h.helmStatus('web', doomed.namespace), undefined);
      assert.equal((await store.get(name, 'main'))?.status, 'ready');
      assert.ok(await readNamespace(h.kube, kept.namespace));
      assert.equal((await h.helmStatus('web', kept.namespace))?.status, 'deployed');
    } finally {
      await keeper.close();
    }
  } finally {
    await repo.cleanup();
    await rm(workdir, { recursive: true, force: true });
  }
});

void test('an expired environment is swept; the production profile (ttl 0) is not', async () => {
  // Its own Redis prefix, so the sweep sees only this test's environments.
  const h = await envHarness();
  try {
    const pipeline = testPipeline({
      profiles: [{ name: 'production', activation: [{ branch: 'main' }], environment: { namespace: '{{ .Pipeline }}-production', ttl: 0 } }],
    });
    const name = pipeline.metadata.name;
    const prod = await h.deploy(pipeline, 'main');
    const old = await h.deploy(pipeline, 'feature/old');
    assert.equal(prod.namespace, `${name}-production`);
    const store = new EnvStore(h.redis, h.keys);
    const prodRec = await store.get(name, 'main');
    assert.equal(prodRec?.profile, 'production');
    assert.equal(prodRec?.expiresAt, undefined);

    const later = new Date(Date.now() + 100 * 3_600_000);
    const teardownDeps = { redis: h.redis, keys: h.keys, kube: h.kube, log: h.log, helm: { bin: testenv().helm, env: h.helmEnv }, now: () => later };
    const swept = await sweepExpired({
      redis: h.redis,
      keys: h.keys,
      log: h.log,
      pipelines: () => [pipeline],
      teardown: (req) => teardownEnvironment(teardownDeps, req),
      now: () => later,
    });
    assert.deepEqual(swept, [`${name}.${old.namespace}`]);
    const oldRec = await store.get(name, 'feature/old');
    assert.equal(oldRec?.status, 'deleted');
    assert.match(oldRec?.deletedReason ?? '', /^expired at /);
    assert.equal(await readNamespace(h.kube, old.namespace), undefined);
    assert.equal((await store.get(name, 'main'))?.status, 'ready');
    assert.ok(await readNamespace(h.kube, prod.namespace));
    assert.equal((await h.helmStatus('web', prod.namespace))?.status, 'deployed');
  } finally {
    await h.cleanup();
  }
});

void test('reconcile leaves environments alone when the repository cannot be listed or the profile keeps them', async () => {
  const h = await envHarness();
  const repo = await fixtureRepo();
  const workdir = await mkdtemp(path.join(tmpdir(), 'slipway-keeper-'));
  try {
    const store = new EnvStore(h.redis, h.keys);
    const at = new Date().toISOString();
    const record = (pipeline: string, branch: string): EnvironmentRecord => ({
      id: `${pipeline}.${pipeline}-x`, pipeline, branch, namespace: `${pipeline}-x`, ownsNamespace: true, releases: [], createdAt: at, updatedAt: at, urls: [], status: 'ready',
    });
    const unreachable = testPipeline({ source: { repo: `file://${workdir}/no-such-repo`, allowLocal: true } });
    const keeps = testPipeline({
      source: { repo: repo.url, allowLocal: true },
      profiles: [{ name: 'stable', activation: [{ branch: 'release/*' }], environment: { teardownOnBranchDelete: false } }],
    });
    await store.upsert(unreachable.metadata.name, 'feature/a', () => record(unreachable.metadata.name, 'feature/a'));
    await store.upsert(keeps.metadata.name, 'release/1', () => record(keeps.metadata.name, 'release/1'));
    await store.upsert(keeps.metadata.name, 'feature/b', () => ({ ...record(keeps.metadata.name, 'feature/b'), id: 'b' }));
    const asked: string[] = [];
    const gone = await reconcileEnvironments({
      redis: h.redis,
      keys: h.keys,
      log: h.log,
      git: createGit({ workdir }),
      pipelines: () => [unreachable, keeps],
      teardown: async (req) => void asked.push(`${req.pipeline}/${req.branch}`),
    });
    // release/1 and feature/b are both gone from the repository; only feature/b goes.
    assert.deepEqual(asked, [`${keeps.metadata.name}/feature/b`]);
    assert.deepEqual(gone, ['b']);
    assert.ok(h.lines.some((l) => l.includes('reconcile skipped: cannot list branches')));
  } finally {
    await repo.cleanup();
    await rm(workdir, { recursive: true, force: true });
    await h.cleanup();
  }
});
