// The test environment's Kubernetes: helm installs a chart and the Deployment becomes Ready (kwok
// plays the kubelet); an upgrade whose pod cannot be scheduled fails within its --timeout and
// --atomic rolls the release back to the previous revision.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { exec, type ExecResult } from '../../../runner/exec.ts';
import { ROOT, testenv, testenvChildEnv, uniqueName } from '../../helpers/testenv.ts';

const CHART = path.join(ROOT, 'test/fixtures/charts/hello');
const RELEASE = 'hello';
let namespace: string;
let apps: AppsV1Api;
let core: CoreV1Api;

const helm = (args: string[], allowFailure = false): Promise<ExecResult> =>
  exec([testenv().helm, ...args, '--namespace', namespace], { env: testenvChildEnv(), allowFailure, timeoutMs: 180_000 });

before(() => {
  namespace = uniqueName('testenv-helm');
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
});
after(async () => {
  await helm(['uninstall', RELEASE, '--wait', '--timeout', '60s'], true);
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

interface Revision {
  revision: number;
  status: string;
  description: string;
}

void test('helm installs a chart into a fresh namespace and the Deployment reports Ready', async () => {
  await helm(['upgrade', '--install', RELEASE, CHART, '--atomic', '--create-namespace', '--wait', '--timeout', '90s']);
  const dep = await apps.readNamespacedDeployment({ name: RELEASE, namespace });
  assert.equal(dep.status?.readyReplicas, 1);
  const available = dep.status?.conditions?.find((c) => c.type === 'Available');
  assert.equal(available?.status, 'True');
  const svc = await core.readNamespacedService({ name: RELEASE, namespace });
  assert.equal(svc.spec?.ports?.[0]?.port, 80);
});

void test('an upgrade whose pod cannot be scheduled fails and --atomic rolls back to the previous revision', async () => {
  const res = await helm(
    ['upgrade', RELEASE, CHART, '--atomic', '--wait', '--timeout', '20s', '--set-string', 'nodeSelector.slipway-test/no-such-node=true'],
    true,
  );
  assert.notEqual(res.exitCode, 0);
  assert.match(res.stderr, /rolled back/);
  // the wait ran out (the pod stayed Pending), not some other error
  assert.match(res.stderr, /context deadline exceeded|timed out waiting/);

  const history = JSON.parse((await helm(['history', RELEASE, '-o', 'json'])).stdout) as Revision[];
  const last = history.at(-1);
  assert.equal(last?.status, 'deployed');
  assert.match(last?.description ?? '', /Rollback to 1/);
  assert.equal(history.find((r) => r.revision === 2)?.status, 'failed');

  const dep = await apps.readNamespacedDeployment({ name: RELEASE, namespace });
  assert.equal(dep.spec?.template.spec?.nodeSelector, undefined);
  assert.equal(dep.status?.readyReplicas, 1);
});
