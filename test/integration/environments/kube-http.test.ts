// kube-http.ts, the small Kubernetes client of `slipway run`, against the testenv's real
// kube-apiserver (RBAC on): client certificates and files (the testenv's kubeconfig), a bearer
// token and inline CA data, a token file; the same answers as @kubernetes/client-node; and the
// kubeconfigs it leaves to client-node.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { deleteNamespace, ensureNamespace, helmReleaseStatus, isNotFound, kubeClients, readNamespace, releaseUrls, type KubeClients } from '../../../runner/environments/kube.ts';
import { defaultKubeTarget, kubeHttpClients, targetFromKubeconfig } from '../../../runner/environments/kube-http.ts';
import { testenv, uniqueName } from '../../helpers/testenv.ts';

let dir: string;
let viaClientNode: KubeClients;
let viaHttp: KubeClients;
let core: CoreV1Api;
let rbac: RbacAuthorizationV1Api;
const namespace = uniqueName('kube-http');
const tokenNamespace = uniqueName('kube-http-token');
const reader = uniqueName('kube-http-reader');

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-kube-http-'));
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  viaClientNode = kubeClients(kc);
  core = kc.makeApiClient(CoreV1Api);
  rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const target = defaultKubeTarget({ KUBECONFIG: testenv().kubeconfig });
  assert.ok(target?.cert && target.key && target.ca, 'the testenv kubeconfig: client certificate and CA files');
  viaHttp = kubeHttpClients(target);
});
after(async () => {
  await deleteNamespace(viaClientNode, namespace).catch(() => undefined);
  await deleteNamespace(viaClientNode, tokenNamespace).catch(() => undefined);
  await rbac.deleteClusterRoleBinding({ name: reader }).catch(() => undefined);
  await rbac.deleteClusterRole({ name: reader }).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

void test('namespaces, secrets and ingresses: the same answers as client-node', async () => {
  assert.equal(await readNamespace(viaHttp, namespace), undefined, 'a missing namespace reads as undefined (404)');
  await assert.rejects(viaHttp.core.readNamespace({ name: namespace }), (err) => isNotFound(err));

  const created = await ensureNamespace(viaHttp, namespace, { pipeline: 'p', environment: 'p.e', branch: 'feature/x' });
  assert.deepEqual(created, { owned: true, created: true });
  const again = await ensureNamespace(viaHttp, namespace, { pipeline: 'p', environment: 'p.e', branch: 'feature/x' });
  assert.deepEqual(again, { owned: true, created: false });
  const mine = await readNamespace(viaHttp, namespace);
  const theirs = await readNamespace(viaClientNode, namespace);
  assert.deepEqual(mine?.metadata?.labels, theirs?.metadata?.labels);
  assert.equal(mine?.metadata?.annotations?.['slipway.dev/branch'], 'feature/x');

  // helm's record of a release: one Secret per revision; the newest one's status label counts
  const revision = (release: string, version: number, status: string) =>
    core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: `sh.helm.release.v1.${release}.v${version}`, labels: { owner: 'helm', name: release, status, version: String(version) } },
        type: 'helm.sh/release.v1',
        data: { release: Buffer.from('{}').toString('base64') },
      },
    });
  await revision('web', 1, 'superseded');
  await revision('web', 2, 'deployed');
  await revision('web', 10, 'pending-upgrade');
  await revision('web-two', 1, 'deployed');
  for (const k of [viaHttp, viaClientNode]) {
    assert.equal(await helmReleaseStatus(k, namespace, 'web'), 'pending-upgrade');
    assert.equal(await helmReleaseStatus(k, namespace, 'web-two'), 'deployed');
    assert.equal(await helmReleaseStatus(k, namespace, 'nothing'), undefined);
    assert.deepEqual(await releaseUrls(k, namespace, ['web']), []);
  }

  await deleteNamespace(viaHttp, namespace);
  const gone = await readNamespace(viaClientNode, namespace);
  assert.ok(gone === undefined || gone.status?.phase === 'Terminating');
});

void test('a bearer token with inline CA data, and a token file relative to the kubeconfig', async () => {
  const sa = uniqueName('sa');
  await ensureNamespace(viaClientNode, tokenNamespace, { pipeline: 'p', environment: 'p.e', branch: 'b' });
  await core.createNamespacedServiceAccount({ namespace: tokenNamespace, body: { metadata: { name: sa } } });
  await rbac.createClusterRole({ body: { metadata: { name: reader }, rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }] } });
  await rbac.createClusterRoleBinding({
    body: { metadata: { name: reader }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: reader }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace: tokenNamespace }] },
  });
  const { status } = await core.createNamespacedServiceAccountToken({ name: sa, namespace: tokenNamespace, body: { spec: { expirationSeconds: 600 } } });
  const token = status!.token;
  const server = targetFromKubeconfig(await readFile(testenv().kubeconfig, 'utf8'), path.dirname(testenv().kubeconfig))!.server;
  const caData = (await readFile(path.join(path.dirname(testenv().kubeconfig), 'pki/ca.crt'))).toString('base64');
  const kubeconfig = (user: string) =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{ name: c, cluster: { server: "' + server + '", certificate-authority-data: ' + caData + ' } }]',
      `users: [{ name: u, user: ${user} }]`,
      'contexts: [{ name: x, context: { cluster: c, user: u } }]',
      'current-context: x',
    ].join('\n');

  const withToken = kubeHttpClients(targetFromKubeconfig(kubeconfig(`{ token: ${token} }`), dir)!);
  assert.equal((await withToken.core.readNamespace({ name: 'default' })).metadata?.name, 'default');
  // authenticated as the service account, so RBAC applies: no list of secrets for it
  await assert.rejects(withToken.core.listNamespacedSecret({ namespace: tokenNamespace }), (err) => (err as { code?: number }).code === 403);

  await writeFile(path.join(dir, 'token'), `${token}\n`);
  await writeFile(path.join(dir, 'config'), kubeconfig('{ tokenFile: token }'));
  const fromFile = kubeHttpClients(defaultKubeTarget({ KUBECONFIG: path.join(dir, 'config') })!);
  assert.equal((await fromFile.core.readNamespace({ name: 'default' })).metadata?.name, 'default');

  const wrong = kubeHttpClients(targetFromKubeconfig(kubeconfig('{ token: not-a-token }'), dir)!);
  await assert.rejects(wrong.core.readNamespace({ name: 'default' }), (err) => (err as { code?: number }).code === 401);
});

void test('kubeconfigs it does not speak are left to client-node', async () => {
  const base = (user: string, cluster = 'server: https://127.0.0.1:1') =>
    `clusters: [{ name: c, cluster: { ${cluster} } }]\nusers: [{ name: u, user: ${user} }]\ncontexts: [{ name: x, context: { cluster: c, user: u } }]\ncurrent-context: x\n`;
  assert.ok(targetFromKubeconfig(base('{ token: t }'), dir));
  assert.equal(targetFromKubeconfig(base('{ exec: { command: aws, apiVersion: client.authentication.k8s.io/v1 } }'), dir), undefined);
  assert.equal(targetFromKubeconfig(base('{ auth-provider: { name: oidc } }'), dir), undefined);
  assert.equal(targetFromKubeconfig(base('{ token: t, as: someone }'), dir), undefined);
  assert.equal(targetFromKubeconfig(base('{ token: t }', 'server: https://127.0.0.1:1, proxy-url: http://proxy:3128'), dir), undefined);
  assert.equal(targetFromKubeconfig(base('{ token: t }').replace('current-context: x', 'current-context: other'), dir), undefined);
  const two = [testenv().kubeconfig, testenv().kubeconfig].join(path.delimiter);
  assert.equal(defaultKubeTarget({ KUBECONFIG: two }), undefined, 'several files to merge');
  assert.equal(defaultKubeTarget({ KUBECONFIG: path.join(dir, 'missing') }), undefined);
});
