// slipway dev's loop against the testenv: the working directory (not a git repository) built and
// deployed into its own namespace; a file change redeploys a new image; a broken Dockerfile with
// --keep-running-on-failure keeps the loop and the next good change deploys; without it the loop
// ends with 1; Ctrl-C (the abort) removes the release and the namespace. The pipeline's test steps
// run after each build (sandboxed, the built image in IMAGE_<name>): a failing one fails the
// iteration and its deploy does not happen.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AppsV1Api } from '@kubernetes/client-node';
import { Pipeline } from '../../../pipelines/schema.ts';
import { nativeTarget } from '../../../runner/dev/native-target.ts';
import { deleteNamespace, readNamespace, type KubeClients } from '../../../runner/environments/kube.ts';
import { exec } from '../../../runner/exec.ts';
import { ROOT, testenv, uniqueName } from '../../helpers/testenv.ts';
import { useTestenvProcessEnv } from '../runner/harness.ts';
import { startLoop, testKube } from './harness.ts';

let kube: KubeClients;
let apps: AppsV1Api;
const dirs: string[] = [];
const namespaces: string[] = [];
before(() => {
  useTestenvProcessEnv();
  const t = testKube();
  kube = t.kube;
  apps = t.kc.makeApiClient(AppsV1Api);
});
after(async () => {
  for (const ns of namespaces) await deleteNamespace(kube, ns).catch(() => undefined);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function workdir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-dev-src-'));
  dirs.push(dir);
  await cp(path.join(ROOT, 'test/fixtures/runner-app'), dir, { recursive: true });
  return dir;
}

function pipeline(name: string, test: { name: string; run: string[] }[] = []): Pipeline {
  return Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name },
    source: { repo: 'file:///unused', allowLocal: true },
    build: { artifacts: [{ image: `${testenv().registry}/slipway-dev-test/${name}`, docker: { buildArgs: { BASE: testenv().baseImage } } }] },
    test,
    deploy: {
      helm: {
        releases: [
          {
            name: 'app',
            chartPath: 'chart',
            setValues: { 'image.repository': `{{ .Images.${name}.Repo }}`, 'image.tag': `{{ .Images.${name}.Tag }}`, 'image.digest': `{{ .Images.${name}.Digest }}` },
          },
        ],
        timeout: '60s',
      },
    },
  });
}

const start = (dir: string, name: string, namespace: string, keepRunningOnFailure: boolean, test: { name: string; run: string[] }[] = []) =>
  startLoop({ dir, target: nativeTarget(pipeline(name, test)), namespace, kube, keepRunningOnFailure });

const deployedImage = async (namespace: string) =>
  (await apps.readNamespacedDeployment({ name: 'app', namespace })).spec?.template.spec?.containers[0]?.image;

void test('a change redeploys a new image; a broken Dockerfile keeps the loop; Ctrl-C removes what it deployed', async () => {
  const dir = await workdir();
  const name = uniqueName('dev');
  namespaces.push(name);
  const dockerfile = await readFile(path.join(dir, 'Dockerfile'), 'utf8');
  const loop = start(dir, name, name, true);

  const first = await loop.next();
  assert.equal(first.ok, true, `${first.error}\n${loop.out.join('\n')}`);
  assert.equal(await deployedImage(name), first.images[0]!.ref);
  assert.match(first.images[0]!.tag, /^dev-tester-[0-9a-z]+-1$/);

  await writeFile(path.join(dir, 'Dockerfile'), dockerfile.replace('GREETING=hello', 'GREETING=changed'));
  const second = await loop.next();
  assert.equal(second.ok, true, second.error);
  assert.notEqual(second.images[0]!.digest, first.images[0]!.digest);
  assert.equal(await deployedImage(name), second.images[0]!.ref);

  await writeFile(path.join(dir, 'Dockerfile'), `${dockerfile}RUN exit 3\n`);
  const broken = await loop.next();
  assert.equal(broken.ok, false);
  assert.match(broken.error ?? '', /buildah/);
  assert.equal(await deployedImage(name), second.images[0]!.ref, 'the last good deploy stays');

  await writeFile(path.join(dir, 'Dockerfile'), dockerfile.replace('GREETING=hello', 'GREETING=third'));
  const fixed = await loop.next();
  assert.equal(fixed.ok, true, fixed.error);
  assert.equal(await deployedImage(name), fixed.images[0]!.ref);

  loop.controller.abort();
  assert.equal(await loop.done, 0);
  const ns = await readNamespace(kube, name);
  assert.ok(ns === undefined || ns.status?.phase === 'Terminating', 'the namespace is going');
  const status = await exec([testenv().helm, 'status', 'app', '--namespace', name], { env: { KUBECONFIG: testenv().kubeconfig }, allowFailure: true });
  assert.notEqual(status.exitCode, 0, 'the release is uninstalled');
});

void test('without --keep-running-on-failure a failing iteration ends the loop with 1', async () => {
  const dir = await workdir();
  const name = uniqueName('dev');
  namespaces.push(name);
  await writeFile(path.join(dir, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nRUN exit 4\n');
  const loop = start(dir, name, name, false);
  const first = await loop.next();
  assert.equal(first.ok, false);
  assert.equal(await loop.done, 1);
});

void test("a native pipeline's test steps run after each build: a failing step fails the iteration, nothing new deployed; the loop ends with 1", async () => {
  const dir = await workdir();
  const name = uniqueName('devt');
  namespaces.push(name);
  const dockerfile = await readFile(path.join(dir, 'Dockerfile'), 'utf8');
  const step = { name: 'greeting', run: ['sh', '-c', 'echo "saw $(env | grep ^IMAGE_ | cut -d= -f2-)"; grep -q GREETING=hello Dockerfile || { echo "the greeting is not hello"; exit 6; }'] };
  const loop = start(dir, name, name, false, [step]);
  const first = await loop.next();
  assert.equal(first.ok, true, `${first.error}\n${loop.out.join('\n')}`);
  assert.ok(loop.out.includes(`saw ${first.images[0]!.ref}`), loop.out.join('\n'));
  assert.equal(await deployedImage(name), first.images[0]!.ref);

  await writeFile(path.join(dir, 'Dockerfile'), dockerfile.replace('GREETING=hello', 'GREETING=changed'));
  const failed = await loop.next();
  assert.equal(failed.ok, false, loop.out.join('\n'));
  assert.match(failed.error ?? '', /exited with code 6\n[^]*the greeting is not hello/);
  assert.ok(loop.out.some((l) => l.startsWith('saw ') && l !== `saw ${first.images[0]!.ref}`), 'the step ran on the new image');
  assert.equal(await deployedImage(name), first.images[0]!.ref, 'the Deployment keeps the previous image');
  assert.equal(await loop.done, 1);
});
