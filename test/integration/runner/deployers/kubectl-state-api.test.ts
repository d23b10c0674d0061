// The last good kubectl deploy kept through the Kubernetes API (the environment manager's client)
// instead of `kubectl get secret` / `kubectl apply` of the state Secret: the deploy starts only
// kubectl apply and the rollout wait, and the Secret is the same one kubectl reads and writes, so
// a deploy through either way rolls back to, and prunes from, a deploy made the other way.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { exec, recordingExec } from '../../../../runner/exec.ts';
import { kubectlDeploy, type KubectlDeployInput } from '../../../../runner/deployers/kubectl.ts';
import { readLastGood } from '../../../../runner/deployers/kubectl-state.ts';
import { parseManifests, prepareManifests } from '../../../../runner/deployers/manifests.ts';
import { kubeClients, kubectlStateStore } from '../../../../runner/environments/kube.ts';
import { webDeployment } from '../../../helpers/kubelet.ts';
import { testenv, testenvChildEnv, uniqueName } from '../../../helpers/testenv.ts';

const env = testenvChildEnv();
const ns = uniqueName('kubectl-state');
const kubectl = (...args: string[]) => exec(['kubectl', ...args], { env, allowFailure: true, timeoutMs: 60_000 });
const run: KubectlDeployInput['run'] = (argv, options = {}) => exec(argv, { ...options, env: { ...env, ...options.env } });
const store = () => {
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  return kubectlStateStore(kubeClients(kc));
};

const configMap = (name: string) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { k: v }\n`;

function input(text: string, build: string, lines: string[], doors: KubectlDeployInput['run']): KubectlDeployInput {
  return {
    run: doors,
    kubectl: 'kubectl',
    namespace: ns,
    pipeline: 'shop',
    build,
    objects: prepareManifests(parseManifests(text, 'k8s/app.yaml'), { namespace: ns, images: [], labels: { 'slipway.dev/pipeline': 'shop', 'slipway.dev/environment': ns } }),
    flags: { global: [], apply: [], delete: [] },
    statusCheck: { enabled: true, deadlineSeconds: 6, tolerateFailuresUntilDeadline: true },
    line: (l) => lines.push(l),
  };
}
const configMaps = async () => (await kubectl('get', 'configmap', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}')).stdout.split(/\s+/).filter((n) => n && n !== 'kube-root-ca.crt').sort();

before(async () => {
  assert.equal((await kubectl('create', 'namespace', ns)).exitCode, 0);
});
after(async () => {
  await kubectl('delete', 'namespace', ns, '--wait=false');
});

void test('the last good deploy through the API: no kubectl for the state, rollback and prune across both ways', async () => {
  // 1. a good deploy keeping its state with kubectl (as before)
  await kubectlDeploy(input(`${webDeployment('web')}${configMap('settings')}`, 'shop-1', [], run));

  // 2. a deploy that cannot become ready, through the API store: it reads what kubectl wrote and rolls back to it
  const rec = recordingExec(run);
  const lines: string[] = [];
  const bad = input(`${webDeployment('web', { unscheduled: true })}${configMap('settings')}${configMap('extra')}`, 'shop-2', lines, rec.exec);
  await assert.rejects(kubectlDeploy({ ...bad, state: store() }), /Deployment web did not become ready within 6s/);
  assert.ok(!rec.calls.some((c) => c.argv[1] === 'get' && c.argv[2] === 'secret'), 'the state is not read with kubectl');
  assert.match(lines.at(-1)!, /^rolled back to the manifests of build shop-1, deleted ConfigMap\/extra: /);
  assert.deepEqual(await configMaps(), ['settings']);

  // 3. a good deploy through the API store without the ConfigMap: pruned; exactly apply + rollout at the door
  const rec3 = recordingExec(run);
  const lines3: string[] = [];
  const third = await kubectlDeploy({ ...input(webDeployment('web'), 'shop-3', lines3, rec3.exec), state: store() });
  assert.deepEqual(third.pruned.map((r) => `${r.kind}/${r.name}`), ['ConfigMap/settings']);
  assert.deepEqual(rec3.calls.map((c) => c.argv.slice(0, 3).join(' ')), ['kubectl apply --server-side', 'kubectl rollout status', 'kubectl delete ConfigMap/settings']);
  assert.deepEqual(await configMaps(), []);

  // what the API wrote is what kubectl reads
  const last = await readLastGood(run, 'kubectl', [], ns, 'shop');
  assert.equal(last?.build, 'shop-3');
  assert.deepEqual(last.objects.map((o) => `${o.kind}/${o.name}`), ['Deployment/web']);
  assert.match(last.manifests, /name: web/);
  const labels = await kubectl('get', 'secret', 'slipway-kubectl-shop', '-n', ns, '-o', 'jsonpath={.metadata.labels.slipway\\.dev/state}');
  assert.equal(labels.stdout.trim(), 'kubectl');
  assert.equal((await store().read(ns, 'shop'))?.build, 'shop-3');
});
