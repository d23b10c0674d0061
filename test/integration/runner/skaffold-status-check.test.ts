// The status check through the runner, as Skaffold's: a pod that cannot recover fails a kubectl
// deploy and a helm release at once (both rolled back, long before statusCheckDeadlineSeconds);
// with tolerateFailuresUntilDeadline the helm release waits out its deadline.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EnvStore } from '../../../core/env-store.ts';
import { reportContainerTrouble, webDeployment } from '../../helpers/kubelet.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

let h: RunnerHarness;
before(async () => {
  h = await runnerHarness();
});
after(async () => {
  await h.helm('uninstall', 'web', '--namespace', h.namespace);
  await h.cleanup();
});

function skaffold(deploy: string): string {
  return `apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts: []
${deploy}`;
}

async function run(files: Record<string, string>, trouble: Parameters<typeof reportContainerTrouble>[1]) {
  await h.repo.commit(files, 'status check');
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  const stop = new AbortController();
  const started = Date.now();
  const queued = await h.enqueue(pipeline);
  const pod = reportContainerTrouble(h.namespace, trouble, stop.signal);
  pod.catch(() => undefined); // awaited below
  try {
    const build = await h.waitFinal(queued.id, 180_000);
    const seconds = (Date.now() - started) / 1000;
    stop.abort();
    return { build, log: await h.logs.text(build.id), seconds, pod: await pod };
  } finally {
    stop.abort();
  }
}

void test('kubectl and helm deploys fail fast on a pod that cannot recover; helm with tolerateFailuresUntilDeadline waits', async () => {
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  await h.runner([pipeline]);

  // 1. kubectl: a crash-looping pod (started, then crashing); minReadySeconds keeps the rollout from completing by itself
  const crashing = { selector: 'app=web', reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=web', phase: 'Running' as const };
  const k = await run(
    {
      'skaffold.yaml': skaffold('manifests: { rawYaml: [k8s/*.yaml] }\ndeploy:\n  kubectl: {}\n  statusCheckDeadlineSeconds: 90\n'),
      'k8s/web.yaml': webDeployment('web', { minReadySeconds: 300 }),
    },
    crashing,
  );
  assert.equal(k.build.status, 'failed', k.log);
  assert.ok(k.seconds < 45, `the kubectl deploy failed after ${k.seconds}s, its deadline being 90s`);
  assert.match(k.log, new RegExp(`rolled back: there was no earlier deploy, deleted Deployment.apps/web: Deployment web cannot become ready \\(failed after \\d+s of 90s\\): pod ${k.pod}: container web CrashLoopBackOff`));

  // 2. helm: a pod whose image cannot be pulled; helm is stopped and rolls back (a first install: uninstalled)
  // (another Deployment than step 1's, which its rollback deletes without waiting)
  const pulling = { selector: 'app=api', reason: 'ImagePullBackOff', message: 'Back-off pulling image "web:dev"', phase: 'Pending' as const };
  const chart = {
    'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'chart/templates/api.yaml': webDeployment('api', { unscheduled: true }),
  };
  const helmDeploy = (extra: string) => skaffold(`deploy:\n  helm:\n    releases:\n      - name: web\n        chartPath: chart\n${extra}`);
  const fast = await run({ ...chart, 'skaffold.yaml': helmDeploy('  statusCheckDeadlineSeconds: 90\n'), 'k8s/web.yaml': '' }, pulling);
  assert.equal(fast.build.status, 'failed', fast.log);
  assert.ok(fast.seconds < 45, `the helm deploy failed after ${fast.seconds}s, its timeout being 90s`);
  assert.match(fast.log, new RegExp(`pod ${fast.pod}: container web ImagePullBackOff: Back-off pulling image "web:dev": stopping helm, which rolls release web back`));
  assert.match(fast.log, /release web cannot become ready: pod api-[a-z0-9-]+: container web ImagePullBackOff.*\(rolled back without waiting out the 90s timeout\)/);
  assert.match(fast.log, /has been uninstalled due to atomic being set/);
  assert.notEqual((await h.helm('status', 'web', '--namespace', h.namespace)).exitCode, 0, 'nothing of the failed install is left');
  // the release was on the environment record before helm ran: a teardown uninstalls whatever a failed helm leaves
  const env = await new EnvStore(h.redis, h.keys).get(h.name, 'main');
  assert.equal(env?.status, 'failed');
  assert.deepEqual(env?.releases, ['web']);

  // 3. the same with tolerateFailuresUntilDeadline: helm's own wait, to the deadline
  const tolerant = await run({ ...chart, 'skaffold.yaml': helmDeploy('  statusCheckDeadlineSeconds: 10\n  tolerateFailuresUntilDeadline: true\n'), 'k8s/web.yaml': '' }, pulling);
  assert.equal(tolerant.build.status, 'failed', tolerant.log);
  assert.ok(tolerant.seconds >= 10, `gave up after ${tolerant.seconds}s, before the 10s deadline`);
  assert.doesNotMatch(tolerant.log, /stopping helm/);
  assert.match(tolerant.log, /helm failed: .*(context deadline exceeded|timed out)/);
});
