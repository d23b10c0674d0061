// The environment manager against the testenv's Kubernetes API and real helm.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvStore } from '../../../core/env-store.ts';
import { ENVIRONMENT_LABEL, MANAGED_BY_LABEL, PIPELINE_LABEL, readNamespace } from '../../../runner/environments/kube.ts';
import { isDns1123Label } from '../../../runner/environments/namespace.ts';
import { teardownEnvironment } from '../../../runner/environments/teardown.ts';
import { testenv, uniqueName } from '../../helpers/testenv.ts';
import { envHarness, fakeBuild, testPipeline, type EnvHarness } from './harness.ts';

let h: EnvHarness;
before(async () => {
  h = await envHarness();
});
after(async () => {
  await h.cleanup();
});

void test('first deploy creates a labelled namespace with the release Ready; the second renews the ttl, revision 2', async () => {
  const pipeline = testPipeline();
  const name = pipeline.metadata.name;
  let clock = new Date('2030-01-01T00:00:00.000Z');
  const manager = h.manager(() => clock);

  const first = await h.deploy(pipeline, 'feature/login', { manager, host: 'login.example.test' });
  assert.ok(isDns1123Label(first.namespace), first.namespace);
  assert.match(first.namespace, new RegExp(`^${name}-feature-login-[0-9a-f]{8}$`));
  const ns = await readNamespace(h.kube, first.namespace);
  assert.equal(ns?.metadata?.labels?.[MANAGED_BY_LABEL], 'slipway');
  assert.equal(ns?.metadata?.labels?.[PIPELINE_LABEL], name);
  assert.equal(ns?.metadata?.labels?.[ENVIRONMENT_LABEL], `${name}.${first.namespace}`);
  assert.deepEqual(await h.helmStatus('web', first.namespace), { status: 'deployed', revision: 1 });
  const dep = await h.apps.readNamespacedDeployment({ name: 'web', namespace: first.namespace });
  assert.equal(dep.status?.readyReplicas, 1);

  const store = new EnvStore(h.redis, h.keys);
  const rec1 = await store.get(name, 'feature/login');
  assert.equal(rec1?.status, 'ready');
  assert.equal(rec1?.ownsNamespace, true);
  assert.equal(rec1?.id, `${name}.${first.namespace}`);
  assert.deepEqual(rec1?.releases, ['web']);
  assert.deepEqual(rec1?.urls, ['http://login.example.test/']);
  assert.equal(rec1?.expiresAt, '2030-01-04T00:00:00.000Z');
  assert.equal(rec1?.createdAt, '2030-01-01T00:00:00.000Z');

  clock = new Date('2030-01-02T12:00:00.000Z');
  const second = await h.deploy(pipeline, 'feature/login', { manager, host: 'login.example.test' });
  assert.equal(second.namespace, first.namespace);
  assert.deepEqual(await h.helmStatus('web', first.namespace), { status: 'deployed', revision: 2 });
  const rec2 = await store.get(name, 'feature/login');
  assert.equal(rec2?.expiresAt, '2030-01-05T12:00:00.000Z');
  assert.equal(rec2?.createdAt, rec1?.createdAt);
  assert.notEqual(rec2?.lastBuild, rec1?.lastBuild);
  assert.equal((await store.getById(rec2!.id))?.branch, 'feature/login');
});

void test('a namespace that exists without Slipway\'s label is deployed into but never deleted', async () => {
  const pipeline = testPipeline({ environment: { namespace: uniqueName('shared'), ttl: '1h' } });
  const namespace = pipeline.environment.namespace;
  h.track(namespace);
  await h.kube.core.createNamespace({ body: { metadata: { name: namespace, labels: { team: 'payments' } } } });

  await h.deploy(pipeline, 'main');
  const store = new EnvStore(h.redis, h.keys);
  assert.equal((await store.get(pipeline.metadata.name, 'main'))?.ownsNamespace, false);
  assert.equal((await readNamespace(h.kube, namespace))?.metadata?.labels?.[MANAGED_BY_LABEL], undefined);

  const rec = await teardownEnvironment(
    { redis: h.redis, keys: h.keys, kube: h.kube, log: h.log, helm: { bin: testenv().helm, env: h.helmEnv } },
    { pipeline: pipeline.metadata.name, branch: 'main', reason: 'branch deleted' },
  );
  assert.equal(rec?.status, 'deleted');
  assert.equal(await h.helmStatus('web', namespace), undefined, 'the release is uninstalled');
  const ns = await readNamespace(h.kube, namespace);
  assert.ok(ns, 'the namespace is still there');
  assert.notEqual(ns.status?.phase, 'Terminating');
});

void test('branches that sanitise alike get different namespaces; a 200-character branch gets a valid one', async () => {
  const pipeline = testPipeline();
  const manager = h.manager();
  const branches = ['feat/a', 'feat-a', 'Feat-A', `feature/${'x'.repeat(192)}`];
  const namespaces: string[] = [];
  for (const branch of branches) {
    const prepared = await manager.prepare({ pipeline, branch, build: fakeBuild(pipeline.metadata.name, branch), releases: ['web'] });
    h.track(prepared.namespace);
    namespaces.push(prepared.namespace);
    assert.ok(isDns1123Label(prepared.namespace), prepared.namespace);
    const ns = await readNamespace(h.kube, prepared.namespace);
    assert.equal(ns?.metadata?.labels?.[MANAGED_BY_LABEL], 'slipway', `${branch} → ${prepared.namespace}`);
  }
  assert.equal(new Set(namespaces).size, branches.length, namespaces.join(' '));
  assert.equal(namespaces[1], `${pipeline.metadata.name}-feat-a`);
  const store = new EnvStore(h.redis, h.keys);
  const records = await Promise.all(branches.map((b) => store.get(pipeline.metadata.name, b)));
  assert.deepEqual(records.map((r) => r?.namespace), namespaces);
  assert.ok(records.every((r) => r?.status === 'creating'));
});
