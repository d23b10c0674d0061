// The status check and helm's fail-fast reading pods and Jobs through the Kubernetes API (the
// environment manager's client, runner/environments/kube.ts) instead of `kubectl get` once a
// second: what the API gives is what kubectl lists (the same problems found in it), a pod that
// cannot recover fails the kubectl deploy's check and stops helm's watch at once, and no kubectl
// process reads the pods meanwhile.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { exec, recordingExec } from '../../../../runner/exec.ts';
import { kubectlDeploy, type KubectlDeployInput } from '../../../../runner/deployers/kubectl.ts';
import { parseManifests, prepareManifests } from '../../../../runner/deployers/manifests.ts';
import { firstUnrecoverable, podProblem, pollArgv, type PodLike, type WorkloadReader } from '../../../../runner/deployers/status-check.ts';
import { kubeClients, workloadReader } from '../../../../runner/environments/kube.ts';
import { reportContainerTrouble, webDeployment } from '../../../helpers/kubelet.ts';
import { testenv, testenvChildEnv, uniqueName } from '../../../helpers/testenv.ts';

const env = testenvChildEnv();
const ns = uniqueName('status-api');
const kubectl = (...args: string[]) => exec(['kubectl', ...args], { env, allowFailure: true, timeoutMs: 60_000 });
const run: KubectlDeployInput['run'] = (argv, options = {}) => exec(argv, { ...options, env: { ...env, ...options.env } });
let reader: WorkloadReader;

const job = `apiVersion: batch/v1
kind: Job
metadata: { name: once }
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - { name: web, image: "web:dev" }
`;
const apply = async (text: string) => {
  const res = await exec(['kubectl', 'apply', '-n', ns, '-f', '-'], { env, input: text, allowFailure: true });
  assert.equal(res.exitCode, 0, res.stderr);
};
const isPodRead = (argv: string[]) => argv.includes('get') && argv.some((a) => a.startsWith('pods'));

before(async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  reader = workloadReader(kubeClients(kc));
  assert.equal((await kubectl('create', 'namespace', ns)).exitCode, 0);
});
after(async () => {
  await kubectl('delete', 'namespace', ns, '--wait=false');
});

void test("the API's pods and Jobs are kubectl's: same names, labels, times and the same problems found in them", async () => {
  const stop = new AbortController();
  try {
    await apply(`${webDeployment('listed')}---\n${job}`);
    const pod = await reportContainerTrouble(ns, { selector: 'app=listed', reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=web', phase: 'Running' }, stop.signal);
    const view = (pods: PodLike[]) =>
      pods
        .map((p) => ({ name: p.metadata.name, labels: p.metadata.labels, created: p.metadata.creationTimestamp, ofJob: p.metadata.ownerReferences?.map((o) => o.kind), problem: podProblem(p) }))
        .sort((a, b) => a.name.localeCompare(b.name));
    // read both ways until they agree (the Job's pod may be starting between two reads); a difference in what is read stays
    let items: (PodLike & { kind: string })[] = [];
    let snap = await reader.snapshot(ns, true);
    for (let n = 0; n < 5; n++) {
      const listed = await kubectl(...pollArgv({ kubectl: 'kubectl', namespace: ns, flags: { global: [], apply: [], delete: [] } }, true).slice(1));
      assert.equal(listed.exitCode, 0, listed.stderr);
      items = (JSON.parse(listed.stdout) as { items: (PodLike & { kind: string })[] }).items;
      snap = await reader.snapshot(ns, true);
      if (JSON.stringify(view(snap.pods)) === JSON.stringify(view(items.filter((x) => x.kind === 'Pod')))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(snap.pods.length, 2, 'the Deployment\'s pod and the Job\'s');
    assert.deepEqual(view(snap.pods), view(items.filter((x) => x.kind === 'Pod')));
    const found = view(snap.pods).find((p) => p.name === pod);
    assert.deepEqual(found?.problem, { message: `pod ${pod}: container web CrashLoopBackOff: back-off 10s restarting failed container=web`, unrecoverable: true });
    assert.deepEqual(
      snap.jobs.map((j) => j.metadata.name),
      items.filter((x) => x.kind === 'Job').map((j) => j.metadata.name),
    );
    assert.deepEqual(snap.jobs.map((j) => j.metadata.name), ['once']);
    assert.deepEqual((await reader.snapshot(ns, false)).jobs, [], 'Jobs only when asked for');
  } finally {
    stop.abort();
    await kubectl('delete', 'deployment,job', '--all', '-n', ns, '--wait=false');
  }
});

void test("helm's fail-fast watch finds a pod whose image cannot be pulled through the API, starting no kubectl", async () => {
  const stop = new AbortController();
  const watch = new AbortController();
  const started = Date.now();
  const calls: string[][] = [];
  try {
    const problem = firstUnrecoverable({
      run: (argv, options) => {
        calls.push(argv);
        return run(argv, options);
      },
      kubectl: 'kubectl',
      namespace: ns,
      flags: { global: [], apply: [], delete: [] },
      since: started,
      signal: watch.signal,
      pollMs: 300,
      reader,
    });
    await apply(webDeployment('pulling', { unscheduled: true }));
    const pod = await reportContainerTrouble(ns, { selector: 'app=pulling', reason: 'ImagePullBackOff', message: 'Back-off pulling image "web:dev"', phase: 'Pending' }, stop.signal);
    const timer = setTimeout(() => watch.abort(), 30_000);
    const found = await problem;
    clearTimeout(timer);
    assert.deepEqual(found, { message: `pod ${pod}: container web ImagePullBackOff: Back-off pulling image "web:dev"`, unrecoverable: true });
    assert.deepEqual(calls, [], 'the pods were read through the API');
  } finally {
    stop.abort();
    watch.abort();
    await kubectl('delete', 'deployment', 'pulling', '-n', ns, '--wait=false');
  }
});

void test("a kubectl deploy's status check reads the pods through the API: a crash-looping pod fails it at once and it rolls back", async () => {
  const stop = new AbortController();
  const door = recordingExec(run);
  const lines: string[] = [];
  const i: KubectlDeployInput = {
    run: door.exec,
    kubectl: 'kubectl',
    namespace: ns,
    pipeline: 'shop',
    build: 'shop-1',
    // minReadySeconds beyond the deadline: only the pod's state can end the check early
    objects: prepareManifests(parseManifests(webDeployment('web', { minReadySeconds: 300 }), 'k8s/web.yaml'), { namespace: ns, images: [], labels: { 'slipway.dev/pipeline': 'shop', 'slipway.dev/environment': ns } }),
    flags: { global: [], apply: [], delete: [] },
    statusCheck: { enabled: true, deadlineSeconds: 60, tolerateFailuresUntilDeadline: false },
    line: (l) => lines.push(l),
    reader,
  };
  try {
    const started = Date.now();
    const deploying = kubectlDeploy(i);
    const crashing = reportContainerTrouble(ns, { selector: 'app=web', reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=web', phase: 'Running' }, stop.signal);
    await assert.rejects(deploying, /^DeployError: Deployment web cannot become ready \(failed after \d+s of 60s\): pod web-[a-z0-9]+-[a-z0-9]+: container web CrashLoopBackOff: back-off 40s restarting failed container=web$/);
    const took = Date.now() - started;
    assert.ok(took < 20_000, `failed after ${took} ms, the deadline being 60 s`);
    const pod = await crashing;
    assert.match(lines.at(-1)!, new RegExp(`^rolled back: there was no earlier deploy, deleted Deployment.apps/web: Deployment web cannot become ready .*pod ${pod}: container web CrashLoopBackOff`));
    assert.deepEqual(door.calls.map((c) => c.argv).filter(isPodRead), [], 'no kubectl read the pods');
    assert.ok(door.calls.some((c) => c.argv.includes('rollout')), 'the rollout was waited for with kubectl');
  } finally {
    stop.abort();
  }
});
