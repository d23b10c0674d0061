// Least privilege: the chart's RBAC (charts/slipway/templates/rbac.yaml, rendered by helm) applied
// to the testenv (--authorization-mode Node,RBAC), a ServiceAccount token of the chart's runner
// account in a kubeconfig of its own, and Slipway's environment code driven with only that token:
// it creates the branch namespace, binds itself there, deploys with helm, tears down; and it is
// refused in a namespace it did not create.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { EnvStore } from '../../../core/env-store.ts';
import { exec } from '../../../runner/exec.ts';
import { withNamespaceLock } from '../../../runner/lock.ts';
import { RUNNER_ROLE_BINDING } from '../../../runner/environments/access.ts';
import { deleteNamespace, kubeClients, readNamespace, waitNamespaceGone } from '../../../runner/environments/kube.ts';
import { createEnvironmentManager } from '../../../runner/environments/manager.ts';
import { teardownEnvironment } from '../../../runner/environments/teardown.ts';
import { ROOT, testenv, testenvChildEnv, uniqueName } from '../../helpers/testenv.ts';
import { envHarness, fakeBuild, testPipeline, type EnvHarness } from './harness.ts';

const release = uniqueName('rbac');
const saNamespace = uniqueName('rbac-sa');
const otherNamespace = uniqueName('rbac-other');
const environmentRole = `${release}-environment`;
const serviceAccount = `${release}-runner`;

let h: EnvHarness;
let admin: KubeConfig;
let manifest = '';
let dir = '';
let runnerKubeconfig = '';

function kubectl(args: string[], input?: string) {
  return exec(['kubectl', ...args], { env: testenvChildEnv(), timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
}

before(async () => {
  h = await envHarness();
  admin = new KubeConfig();
  admin.loadFromFile(testenv().kubeconfig);
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: saNamespace } } });
  await core.createNamespace({ body: { metadata: { name: otherNamespace } } });
  // the chart's own RBAC objects, with a ClusterRole name of this test's own
  const rendered = await exec(
    [testenv().helm, 'template', release, path.join(ROOT, 'charts/slipway'), '--namespace', saNamespace, '--set', `runner.environmentClusterRole=${environmentRole}`, '--show-only', 'templates/rbac.yaml'],
    { env: testenvChildEnv() },
  );
  manifest = rendered.stdout;
  await kubectl(['apply', '-f', '-'], manifest);
  const token = (await kubectl(['create', 'token', serviceAccount, '--namespace', saNamespace, '--duration', '20m'])).stdout.trim();
  const cluster = admin.getCurrentCluster()!;
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-rbac-'));
  runnerKubeconfig = path.join(dir, 'kubeconfig');
  const caKey = cluster.caFile ? { 'certificate-authority': cluster.caFile } : { 'certificate-authority-data': cluster.caData };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'testenv', cluster: { server: cluster.server, ...caKey } }],
    users: [{ name: 'runner', user: { token } }],
    contexts: [{ name: 'runner', context: { cluster: 'testenv', user: 'runner' } }],
    'current-context': 'runner',
  };
  await writeFile(runnerKubeconfig, JSON.stringify(config), { mode: 0o600 });
});

after(async () => {
  const k = kubeClients(admin);
  for (const ns of [saNamespace, otherNamespace]) await deleteNamespace(k, ns).catch(() => undefined);
  if (manifest) await kubectl(['delete', '--ignore-not-found', '-f', '-'], manifest).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
  await h.cleanup();
});

void test('with only the chart\'s RBAC the runner creates its namespace, deploys and tears it down, and is refused elsewhere', async () => {
  const runner = new KubeConfig();
  runner.loadFromFile(runnerKubeconfig);
  const kube = kubeClients(runner);
  const runnerApps = runner.makeApiClient(AppsV1Api);
  const helmEnv = { KUBECONFIG: runnerKubeconfig };

  // the token is not an admin's: it may not read a Secret in its own ServiceAccount's namespace
  await assert.rejects(runner.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: saNamespace }), (err: { code?: number }) => err.code === 403);

  const manager = createEnvironmentManager({
    redis: h.redis,
    keys: h.keys,
    kube,
    log: h.log,
    env: { SLIPWAY_RUNNER_SERVICE_ACCOUNT: `${saNamespace}/${serviceAccount}`, SLIPWAY_ENVIRONMENT_CLUSTER_ROLE: environmentRole },
  });
  const pipeline = testPipeline();
  const branch = 'feature/rbac';
  const build = fakeBuild(pipeline.metadata.name, branch);
  const prepared = await manager.prepare({ pipeline, branch, build, releases: ['web'] });
  h.track(prepared.namespace);

  const binding = await admin.makeApiClient(RbacAuthorizationV1Api).readNamespacedRoleBinding({ name: RUNNER_ROLE_BINDING, namespace: prepared.namespace });
  assert.equal(binding.roleRef.name, environmentRole);
  assert.deepEqual(binding.subjects?.map((s) => ({ ...s })), [{ kind: 'ServiceAccount', name: serviceAccount, namespace: saNamespace }]);

  await withNamespaceLock(h.redis, h.keys, prepared.namespace, async () => {
    await exec(
      [testenv().helm, 'upgrade', '--install', 'web', pipeline.deploy.helm!.releases[0]!.chartPath, '--namespace', prepared.namespace, '--wait', '--timeout', '2m', '--set', `host=${prepared.namespace}.example.test`],
      { env: helmEnv, timeoutMs: 180_000 },
    );
    await manager.recordDeploy({ pipeline, branch, build, namespace: prepared.namespace, releases: ['web'] });
  });
  const dep = await h.apps.readNamespacedDeployment({ name: 'web', namespace: prepared.namespace });
  assert.equal(dep.status?.readyReplicas, 1);
  const store = new EnvStore(h.redis, h.keys);
  const rec = await store.get(pipeline.metadata.name, branch);
  assert.equal(rec?.status, 'ready');
  assert.deepEqual(rec?.urls, [`http://${prepared.namespace}.example.test/`], 'the runner read the Ingress in its namespace');

  // a namespace it did not create: no Deployment, no Secret list
  const body = {
    metadata: { name: 'intruder' },
    spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: 'x' }] } } },
  };
  await assert.rejects(runnerApps.createNamespacedDeployment({ namespace: otherNamespace, body }), (err: { code?: number }) => err.code === 403);
  await assert.rejects(runner.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: otherNamespace }), (err: { code?: number }) => err.code === 403);
  const helmElsewhere = await exec([testenv().helm, 'upgrade', '--install', 'web', pipeline.deploy.helm!.releases[0]!.chartPath, '--namespace', otherNamespace, '--set', 'host=x.example.test'], {
    env: helmEnv,
    allowFailure: true,
    timeoutMs: 60_000,
  });
  assert.notEqual(helmElsewhere.exitCode, 0);
  assert.match(helmElsewhere.stderr, /forbidden/i);
  await assert.rejects(h.apps.readNamespacedDeployment({ name: 'web', namespace: otherNamespace }), (err: { code?: number }) => err.code === 404);

  const torn = await teardownEnvironment(
    { redis: h.redis, keys: h.keys, kube, log: h.log, helm: { bin: testenv().helm, env: helmEnv } },
    { pipeline: pipeline.metadata.name, branch, reason: 'branch deleted' },
  );
  assert.equal(torn?.status, 'deleted');
  await waitNamespaceGone(kubeClients(admin), prepared.namespace, { timeoutMs: 120_000 });
  assert.equal(await readNamespace(kubeClients(admin), otherNamespace).then((ns) => ns?.status?.phase), 'Active', 'the other namespace is untouched');
});
