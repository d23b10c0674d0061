// kubectl deploys against the test cluster: the exact argv at the exec door, and what the
// cluster holds after a good deploy, a deploy that cannot become ready (rolled back, nothing of
// it left) and a deploy that drops an object (pruned).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { exec, recordingExec } from '../../../../runner/exec.ts';
import { kubectlDeploy, type KubectlDeployInput } from '../../../../runner/deployers/kubectl.ts';
import { parseManifests, prepareManifests } from '../../../../runner/deployers/manifests.ts';
import { reportContainerTrouble, webDeployment } from '../../../helpers/kubelet.ts';
import { testenvChildEnv, uniqueName } from '../../../helpers/testenv.ts';

const env = testenvChildEnv();
const ns = uniqueName('kubectl-deploy');
const kubectl = (...args: string[]) => exec(['kubectl', ...args], { env, allowFailure: true, timeoutMs: 60_000 });

const deployment = (opts: { unscheduled?: boolean } = {}) => webDeployment('web', { replicas: 2, ...opts });
const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { k: v }\n`;

function input(text: string, build: string, lines: string[], run: KubectlDeployInput['run'], namespace = ns): KubectlDeployInput {
  const objects = prepareManifests(parseManifests(text, 'k8s/app.yaml'), {
    namespace,
    images: [{ name: 'web', ref: `127.0.0.1:5000/web:1@sha256:${'a'.repeat(64)}` }],
    labels: { 'slipway.dev/pipeline': 'shop', 'slipway.dev/environment': namespace },
  });
  return {
    run: (argv, options = {}) => run(argv, { ...options, env: { ...env, ...options.env } }),
    kubectl: 'kubectl',
    namespace,
    pipeline: 'shop',
    build,
    objects,
    flags: { global: [], apply: [], delete: [] },
    statusCheck: { enabled: true, deadlineSeconds: 8, tolerateFailuresUntilDeadline: false },
    line: (l) => lines.push(l),
  };
}

const isPoll = (argv: string[]) => argv.join(' ') === `kubectl get pods --namespace ${ns} --output json`;
const names = async (kind: string) => (await kubectl('get', kind, '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}')).stdout.trim().split(/\s+/).filter(Boolean).sort();

before(async () => {
  assert.equal((await kubectl('create', 'namespace', ns)).exitCode, 0);
});
after(async () => {
  await kubectl('delete', 'namespace', ns, '--wait=false');
});

void test('a kubectl deploy applies server-side, waits for the rollout, rolls back what cannot become ready, prunes what is gone', async () => {
  // 1. a good deploy
  const rec = recordingExec(exec);
  const lines: string[] = [];
  const first = await kubectlDeploy(input(`${deployment()}---\n${configMap('settings')}`, 'shop-1', lines, rec.exec));
  assert.deepEqual(first.applied.map((r) => `${r.kind}/${r.name}`), ['Deployment/web', 'ConfigMap/settings']);
  // the status check reads the namespace's pods every second meanwhile (how many times depends on the cluster's pace)
  assert.deepEqual(rec.calls.map((c) => c.argv).filter((a) => !isPoll(a)), [
    ['kubectl', 'get', 'secret', 'slipway-kubectl-shop', '--namespace', ns, '--ignore-not-found', '--output', 'json'],
    ['kubectl', 'apply', '--server-side', '--force-conflicts', '--field-manager', 'slipway', '--namespace', ns, '--filename', '-'],
    ['kubectl', 'rollout', 'status', 'Deployment.apps/web', '--namespace', ns, '--watch', '--timeout=8s'],
    ['kubectl', 'apply', '--server-side', '--force-conflicts', '--field-manager', 'slipway', '--namespace', ns, '--filename', '-'],
  ]);
  assert.match(rec.calls[1]!.options.input!, /image: 127\.0\.0\.1:5000\/web:1@sha256:a{64}/);
  const image = await kubectl('get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.status.readyReplicas} {.metadata.labels.slipway\\.dev/pipeline}');
  assert.equal(image.stdout.trim(), `127.0.0.1:5000/web:1@sha256:${'a'.repeat(64)} 2 shop`);

  // 2. a deploy no node can run (nodeSelector nothing matches), adding a ConfigMap: rolled back
  const rec2 = recordingExec(exec);
  const lines2: string[] = [];
  const bad = input(`${deployment({ unscheduled: true })}---\n${configMap('settings')}---\n${configMap('extra')}`, 'shop-2', lines2, rec2.exec);
  await assert.rejects(kubectlDeploy(bad), /Deployment web did not become ready within 8s: pod web-[a-z0-9-]+: PodScheduled Unschedulable: 0\/1 nodes are available/);
  const argvs = rec2.calls.map((c) => c.argv.slice(0, 3).join(' ')).filter((a, n, all) => a !== 'kubectl get pods' || all[n + 1] !== a);
  assert.deepEqual(argvs, [
    'kubectl get secret',
    'kubectl apply --server-side',
    'kubectl rollout status',
    'kubectl get pods',
    'kubectl apply --server-side',
    'kubectl delete ConfigMap/extra',
  ]);
  assert.deepEqual(rec2.calls.find((c) => c.argv[1] === 'delete')?.argv, ['kubectl', 'delete', 'ConfigMap/extra', '--namespace', ns, '--ignore-not-found', '--wait=false']);
  assert.match(lines2.at(-1)!, /^rolled back to the manifests of build shop-1, deleted ConfigMap\/extra: Deployment web did not become ready/);
  assert.deepEqual(await names('configmap').then((n) => n.filter((x) => x !== 'kube-root-ca.crt')), ['settings']);
  const selector = await kubectl('get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.template.spec.nodeSelector}');
  assert.equal(selector.stdout.trim(), '', 'the failed spec is gone: the last good one is back');

  // 3. a good deploy without the ConfigMap: pruned
  const lines3: string[] = [];
  const third = await kubectlDeploy(input(deployment(), 'shop-3', lines3, exec));
  assert.deepEqual(third.pruned.map((r) => `${r.kind}/${r.name}`), ['ConfigMap/settings']);
  assert.ok(lines3.includes('pruned what this deploy no longer has: ConfigMap/settings'));
  assert.deepEqual(await names('configmap').then((n) => n.filter((x) => x !== 'kube-root-ca.crt')), []);
});

void test('a first deploy that fails leaves nothing of itself behind', async () => {
  const other = uniqueName('kubectl-first');
  assert.equal((await kubectl('create', 'namespace', other)).exitCode, 0);
  try {
    const lines: string[] = [];
    const i = input(`${deployment({ unscheduled: true })}---\n${configMap('only')}`, 'shop-1', lines, exec, other);
    await assert.rejects(kubectlDeploy({ ...i, statusCheck: { ...i.statusCheck, deadlineSeconds: 4 } }), /did not become ready within 4s/);
    assert.match(lines.at(-1)!, /^rolled back: there was no earlier deploy, deleted Deployment.apps\/web, ConfigMap\/only/);
    const left = await kubectl('get', 'deploy,configmap,secret', '-n', other, '-o', 'name');
    assert.deepEqual(left.stdout.trim().split('\n').filter((l) => l && !l.includes('kube-root-ca')), []);
  } finally {
    await kubectl('delete', 'namespace', other, '--wait=false');
  }
});

const crashLoop = (namespace: string, signal: AbortSignal) =>
  reportContainerTrouble(namespace, { selector: 'app=web', reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=web', phase: 'Running' }, signal);

// minReadySeconds beyond the deadline: the rollout cannot complete by itself in the test, so only the pod's state decides
const neverDone = (statusCheck: KubectlDeployInput['statusCheck'], namespace: string, lines: string[]) => {
  const i = input(webDeployment('web', { minReadySeconds: 300 }), 'shop-1', lines, exec, namespace);
  return { ...i, statusCheck };
};

void test('a pod that cannot recover fails the status check at once and the deploy rolls back, well before the deadline', async () => {
  const other = uniqueName('kubectl-fast');
  assert.equal((await kubectl('create', 'namespace', other)).exitCode, 0);
  const stop = new AbortController();
  try {
    const lines: string[] = [];
    const started = Date.now();
    const deploying = kubectlDeploy(neverDone({ enabled: true, deadlineSeconds: 60, tolerateFailuresUntilDeadline: false }, other, lines));
    const crashing = crashLoop(other, stop.signal);
    await assert.rejects(deploying, /^DeployError: Deployment web cannot become ready \(failed after \d+s of 60s\): pod web-[a-z0-9]+-[a-z0-9]+: container web CrashLoopBackOff: back-off 40s restarting failed container=web$/);
    const took = Date.now() - started;
    assert.ok(took < 20_000, `failed after ${took} ms, the deadline being 60 s`);
    const pod = await crashing;
    assert.match(lines.at(-1)!, new RegExp(`^rolled back: there was no earlier deploy, deleted Deployment.apps/web: Deployment web cannot become ready .*pod ${pod}: container web CrashLoopBackOff`));
    const left = await kubectl('get', 'deploy', '-n', other, '-o', 'name');
    assert.equal(left.stdout.trim(), '');
  } finally {
    stop.abort();
    await kubectl('delete', 'namespace', other, '--wait=false');
  }
});

void test('with tolerateFailuresUntilDeadline the status check waits out the deadline, saying what the pod reports', async () => {
  const other = uniqueName('kubectl-tolerate');
  assert.equal((await kubectl('create', 'namespace', other)).exitCode, 0);
  const stop = new AbortController();
  try {
    const lines: string[] = [];
    const started = Date.now();
    const deploying = kubectlDeploy(neverDone({ enabled: true, deadlineSeconds: 8, tolerateFailuresUntilDeadline: true }, other, lines));
    const crashing = crashLoop(other, stop.signal);
    await assert.rejects(deploying, /^DeployError: Deployment web did not become ready within 8s: pod web-[a-z0-9]+-[a-z0-9]+: container web CrashLoopBackOff: back-off 40s/);
    const took = Date.now() - started;
    assert.ok(took >= 8_000, `gave up after ${took} ms, before the 8 s deadline`);
    const pod = await crashing;
    assert.ok(lines.includes(`waiting for Deployment web: pod ${pod}: container web CrashLoopBackOff: back-off 40s restarting failed container=web`), lines.join('\n'));
    assert.match(lines.at(-1)!, /^rolled back: there was no earlier deploy, deleted Deployment.apps\/web: Deployment web did not become ready within 8s/);
  } finally {
    stop.abort();
    await kubectl('delete', 'namespace', other, '--wait=false');
  }
});
