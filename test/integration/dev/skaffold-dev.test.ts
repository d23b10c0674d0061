// slipway dev on a skaffold.yaml directory, against the testenv: two artifacts (app requires
// base) and rawYaml manifests, a profile activated by `command: dev` and one asked for by name.
// A change in one artifact's context rebuilds that one only (builder runs counted at the exec
// door; the other keeps its image and its Deployment is not rolled) and redeploys; a change to
// skaffold.yaml is read at the next iteration (a base build arg: base and the app requiring it are
// rebuilt); a broken Dockerfile with --keep-running-on-failure keeps the loop and the next good
// change deploys; without it the loop ends with 1; Ctrl-C deletes what the loop applied. A
// custom test runs after each build (sandboxed, $IMAGE the built image): passing, the iteration
// deploys; failing, the iteration fails with its output and nothing new is deployed;
// --skip-tests deploys without it (structureTests too, without container-structure-test). The
// command: dev profile is not applied by a CI build (`slipway run`'s runBuild) of the same files.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { skaffoldTarget } from '../../../runner/dev/skaffold-target.ts';
import { deleteNamespace, ensureNamespace, type KubeClients } from '../../../runner/environments/kube.ts';
import { skaffoldDevFiles as files, skaffoldYaml, writeFiles } from '../../helpers/skaffold-dev-files.ts';
import { testenv, uniqueName } from '../../helpers/testenv.ts';
import { runnerHarness, useTestenvProcessEnv } from '../runner/harness.ts';
import { builds, startLoop, testKube } from './harness.ts';

let kube: KubeClients;
let apps: AppsV1Api;
let core: CoreV1Api;
const dirs: string[] = [];
const namespaces: string[] = [];
before(() => {
  useTestenvProcessEnv();
  const t = testKube();
  kube = t.kube;
  apps = t.kc.makeApiClient(AppsV1Api);
  core = t.kc.makeApiClient(CoreV1Api);
});
after(async () => {
  for (const ns of namespaces) await deleteNamespace(kube, ns).catch(() => undefined);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function sourceDir(base: string, app: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-dev-skaffold-'));
  dirs.push(dir);
  await writeFiles(dir, files(base, app));
  return dir;
}

const deployed = async (name: string, namespace: string) => {
  const d = await apps.readNamespacedDeployment({ name, namespace });
  return { image: d.spec?.template.spec?.containers[0]?.image, generation: d.metadata?.generation };
};
const exists = (p: Promise<unknown>) => p.then(() => true, (err: { code?: number }) => (err.code === 404 ? false : Promise.reject(err)));

void test('slipway dev on skaffold.yaml: one changed artifact rebuilt and redeployed alone, skaffold.yaml re-read, a broken build survives, Ctrl-C deletes what it applied', async () => {
  const name = uniqueName('sdev');
  namespaces.push(name);
  const base = `${testenv().registry}/slipway-dev-test/${name}-base`;
  const app = `${testenv().registry}/slipway-dev-test/${name}-app`;
  const dir = await sourceDir(base, app);
  // the namespace exists already: the cleanup must delete the objects themselves, not the namespace
  await ensureNamespace(kube, name, { pipeline: 'test', environment: name, branch: 'test' });
  const loop = startLoop({ dir, target: skaffoldTarget({ name: 'shop', dir, skaffold: { path: 'skaffold.yaml', profiles: ['extra'], module: [] } }), namespace: name, kube, keepRunningOnFailure: true });

  // 1: both built (base first), pushed although local.push is false, deployed with dev's tags; both profiles applied
  const first = await loop.next();
  assert.equal(first.ok, true, `${first.error}\n${loop.out.join('\n')}`);
  assert.deepEqual([builds(loop.calls, base), builds(loop.calls, app)], [1, 1]);
  const [base1, app1] = first.images;
  assert.match(base1!.tag, /^dev-tester-[0-9a-z]+-1$/);
  assert.match(app1!.digest, /^sha256:/);
  assert.ok(loop.out.some((l) => l.includes('local.push is false: slipway dev pushes the images anyway')), loop.out.join('\n'));
  assert.equal((await deployed('base', name)).image, base1!.ref);
  const app1Deployed = await deployed('app', name);
  assert.equal(app1Deployed.image, app1!.ref);
  assert.equal(await exists(core.readNamespacedConfigMap({ name: 'dev-only', namespace: name })), true, 'the command: dev profile applies');
  assert.equal(await exists(core.readNamespacedConfigMap({ name: 'extra', namespace: name })), true, 'the profile asked for applies');

  // 2: a change in app's context: app alone is built again; base keeps its image and is not rolled
  const base1Deployed = await deployed('base', name);
  let mark = loop.calls.length;
  const written = Date.now();
  await writeFile(path.join(dir, 'app/page.txt'), 'second\n');
  const second = await loop.next();
  const latency = Date.now() - written;
  assert.equal(second.ok, true, `${second.error}\n${loop.out.join('\n')}`);
  assert.deepEqual([builds(loop.calls, base, mark), builds(loop.calls, app, mark)], [0, 1]);
  const [base2, app2] = second.images;
  assert.deepEqual(base2, base1, 'base unchanged: the same image, tag and digest');
  assert.notEqual(app2!.digest, app1!.digest);
  assert.equal((await deployed('app', name)).image, app2!.ref);
  assert.deepEqual(await deployed('base', name), base1Deployed, 'base not rolled');
  assert.ok(latency < 60_000, `redeployed ${latency} ms after the change`);

  // 3: skaffold.yaml changes base's build arg: read again, base and the app requiring it rebuilt
  mark = loop.calls.length;
  await writeFile(path.join(dir, 'skaffold.yaml'), skaffoldYaml(base, app, 'two'));
  const third = await loop.next();
  assert.equal(third.ok, true, `${third.error}\n${loop.out.join('\n')}`);
  assert.deepEqual([builds(loop.calls, base, mark), builds(loop.calls, app, mark)], [1, 1]);
  assert.notEqual(third.images[0]!.digest, base1!.digest);
  assert.notEqual(third.images[1]!.digest, app2!.digest);
  assert.equal((await deployed('base', name)).image, third.images[0]!.ref);
  assert.equal((await deployed('app', name)).image, third.images[1]!.ref);

  // 4: a broken Dockerfile fails the iteration, the loop keeps watching, the last deploy stays
  await writeFile(path.join(dir, 'app/Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN exit 3\n');
  const broken = await loop.next();
  assert.equal(broken.ok, false);
  assert.match(broken.error ?? '', /buildah/);
  assert.ok(loop.out.includes('[dev] still watching (--keep-running-on-failure)'));
  assert.equal((await deployed('app', name)).image, third.images[1]!.ref, 'the last good deploy stays');

  // 5: the next good change deploys
  await writeFile(path.join(dir, 'app/Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY page.txt /page.txt\nRUN echo fixed\n');
  const fixed = await loop.next();
  assert.equal(fixed.ok, true, `${fixed.error}\n${loop.out.join('\n')}`);
  assert.equal((await deployed('app', name)).image, fixed.images[1]!.ref);

  // Ctrl-C: what the loop applied is deleted, its state too; the namespace, not the loop's, stays
  loop.controller.abort();
  assert.equal(await loop.done, 0);
  for (const d of ['base', 'app']) assert.equal(await exists(apps.readNamespacedDeployment({ name: d, namespace: name })), false, `Deployment ${d} deleted`);
  for (const c of ['dev-only', 'extra']) assert.equal(await exists(core.readNamespacedConfigMap({ name: c, namespace: name })), false, `ConfigMap ${c} deleted`);
  assert.equal(await exists(core.readNamespacedSecret({ name: 'slipway-kubectl-shop', namespace: name })), false, 'the kubectl state deleted');
  assert.equal(await exists(core.readNamespace({ name })), true);
});

void test('slipway dev on skaffold.yaml: without --keep-running-on-failure a failing iteration ends the loop with 1', async () => {
  const name = uniqueName('sdev');
  namespaces.push(name);
  const base = `${testenv().registry}/slipway-dev-test/${name}-base`;
  const app = `${testenv().registry}/slipway-dev-test/${name}-app`;
  const dir = await sourceDir(base, app);
  await writeFile(path.join(dir, 'base/Dockerfile'), 'ARG BASE\nFROM ${BASE}\nRUN exit 4\n');
  const loop = startLoop({ dir, target: skaffoldTarget({ name: 'shop', dir, skaffold: { path: 'skaffold.yaml', profiles: [], module: [] } }), namespace: name, kube, keepRunningOnFailure: false });
  const first = await loop.next();
  assert.equal(first.ok, false);
  assert.match(first.error ?? '', /buildah/);
  assert.equal(await loop.done, 1);
  assert.equal(builds(loop.calls, app), 0, 'the app requiring the broken base is not built');
});

// app's custom test: notes the $IMAGE it saw under .slipway/ (not watched: no new iteration), then
// fails unless page.txt still says first
const CHECK = 'mkdir -p .slipway && echo "$IMAGE" > .slipway/seen && echo "checking $IMAGE" && grep -q first app/page.txt || { echo "page.txt says $(cat app/page.txt)"; exit 5; }\n';
const withTests = (yaml: string, app: string, extra = '') => `${yaml}test:\n  - image: ${app}\n    custom:\n      - command: sh check.sh\n        timeoutSeconds: 60\n${extra}`;
const seen = (dir: string) => readFile(path.join(dir, '.slipway/seen'), 'utf8').then((t) => t.trim(), (err: { code?: string }) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));

void test('slipway dev runs the custom tests after each build: a passing test deploys, a failing one fails the iteration and deploys nothing; --skip-tests runs none', async () => {
  const name = uniqueName('sdevt');
  namespaces.push(name, `${name}-skip`);
  const base = `${testenv().registry}/slipway-dev-test/${name}-base`;
  const app = `${testenv().registry}/slipway-dev-test/${name}-app`;
  const dir = await sourceDir(base, app);
  await writeFile(path.join(dir, 'check.sh'), CHECK);
  await writeFile(path.join(dir, 'skaffold.yaml'), withTests(skaffoldYaml(base, app, 'one'), app));
  const loop = startLoop({ dir, target: skaffoldTarget({ name: 'shop', dir, skaffold: { path: 'skaffold.yaml', profiles: [], module: [] } }), namespace: name, kube, keepRunningOnFailure: true });

  // 1: the test passes, having seen the image built for app; the iteration deploys it
  const first = await loop.next();
  assert.equal(first.ok, true, `${first.error}\n${loop.out.join('\n')}`);
  const app1 = first.images[1]!;
  assert.equal(await seen(dir), app1.ref, 'the test saw $IMAGE, the built image');
  assert.ok(loop.out.includes(`checking ${app1.ref}`), loop.out.join('\n'));
  assert.equal((await deployed('app', name)).image, app1.ref);

  // 2: an edit that makes the test fail: app is built, tested, and the iteration fails before its deploy
  const mark = loop.calls.length;
  const lines = loop.out.length;
  await writeFile(path.join(dir, 'app/page.txt'), 'second\n');
  const failed = await loop.next();
  assert.equal(failed.ok, false, loop.out.join('\n'));
  assert.equal(builds(loop.calls, app, mark), 1, 'built before the test');
  assert.match(failed.error ?? '', /^sh -c sh check\.sh exited with code 5/);
  assert.match(failed.error ?? '', /page\.txt says second/);
  assert.ok(loop.out.slice(lines).includes('page.txt says second'), 'the test\'s output is in the log');
  assert.ok(loop.out.includes('[dev] still watching (--keep-running-on-failure)'));
  const tested = await seen(dir);
  assert.ok(tested && tested !== app1.ref, `the test ran on the new image (${tested})`);
  assert.equal((await deployed('app', name)).image, app1.ref, 'nothing new deployed: the Deployment keeps the previous image');

  loop.controller.abort();
  assert.equal(await loop.done, 0);

  // --skip-tests: the same failing source (and a structureTests entry, with no container-structure-test here) deploys, the test not run
  await rm(path.join(dir, '.slipway'), { recursive: true, force: true });
  await writeFile(path.join(dir, 'skaffold.yaml'), withTests(skaffoldYaml(base, app, 'one'), app, '    structureTests:\n      - ./st.yaml\n'));
  const skip = startLoop({ dir, target: skaffoldTarget({ name: 'shop', dir, skaffold: { path: 'skaffold.yaml', profiles: [], module: [] } }), namespace: `${name}-skip`, kube, keepRunningOnFailure: false, skipTests: true });
  const skipped = await skip.next();
  assert.equal(skipped.ok, true, `${skipped.error}\n${skip.out.join('\n')}`);
  assert.equal((await deployed('app', `${name}-skip`)).image, skipped.images[1]!.ref);
  assert.equal(await seen(dir), undefined, 'the test did not run: its marker is absent');
  assert.ok(!skip.out.some((l) => l.includes('check.sh') || l.includes('page.txt says')), skip.out.join('\n'));
  skip.controller.abort();
  assert.equal(await skip.done, 0);
});

/** Waits (polling) until a line of `out` from index `from` on matches; its index. */
async function lineAppears(out: readonly string[], from: number, re: RegExp, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = out.findIndex((l, j) => j >= from && re.test(l));
    if (i >= 0) return i;
    if (Date.now() > deadline) throw new Error(`no line ${re} within ${timeoutMs} ms:\n${out.slice(from).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// app's custom test writes a report into the repository, outside every context, on each run
const REPORT = 'mkdir -p reports && echo "$IMAGE" > reports/app.txt\n';

void test('slipway dev watches what the plan depends on: a change in a context rebuilds, a manifest change redeploys; a file a test writes, a .dockerignored file, .slipway/ start nothing', async () => {
  const name = uniqueName('sdevw');
  namespaces.push(name);
  const base = `${testenv().registry}/slipway-dev-test/${name}-base`;
  const app = `${testenv().registry}/slipway-dev-test/${name}-app`;
  const dir = await sourceDir(base, app);
  await writeFile(path.join(dir, 'report.sh'), REPORT);
  await writeFile(path.join(dir, 'app/.dockerignore'), '*.tmp\n');
  await writeFile(path.join(dir, 'skaffold.yaml'), withTests(skaffoldYaml(base, app, 'one'), app).replace('command: sh check.sh', 'command: sh report.sh'));
  const loop = startLoop({ dir, target: skaffoldTarget({ name: 'shop', dir, skaffold: { path: 'skaffold.yaml', profiles: [], module: [] } }), namespace: name, kube, keepRunningOnFailure: true });

  const first = await loop.next();
  assert.equal(first.ok, true, `${first.error}\n${loop.out.join('\n')}`);
  assert.equal(await readFile(path.join(dir, 'reports/app.txt'), 'utf8'), `${first.images[1]!.ref}\n`, 'the test wrote its report into the repository');

  // a change in app's context starts the next iteration: how soon its start shows is the window below
  let from = loop.out.length;
  const written = Date.now();
  await writeFile(path.join(dir, 'app/page.txt'), 'second\n');
  const started = await lineAppears(loop.out, from, /^\[dev\] iteration 2: building$/, 30_000);
  const startMs = Date.now() - written;
  assert.ok(loop.out.slice(from, started).includes(`[dev] changed: app/page.txt (artifact ${app})`), loop.out.slice(from).join('\n'));
  const second = await loop.next();
  assert.equal(second.ok, true, `${second.error}\n${loop.out.join('\n')}`);
  assert.notEqual(second.images[1]!.digest, first.images[1]!.digest);
  assert.equal(await readFile(path.join(dir, 'reports/app.txt'), 'utf8'), `${second.images[1]!.ref}\n`, 'the test wrote its report again');

  // the test's report (written during iteration 2), a .dockerignored file of the context, .slipway/,
  // a file beside the manifests their glob does not match: no iteration, for many times the start latency seen above
  from = loop.out.length;
  await writeFile(path.join(dir, 'app/notes.tmp'), 'scratch\n');
  await mkdir(path.join(dir, '.slipway'), { recursive: true });
  await writeFile(path.join(dir, '.slipway/state'), 'x\n');
  await writeFile(path.join(dir, 'k8s/README.md'), 'manifests\n');
  await writeFile(path.join(dir, 'reports/app.txt'), 'edited\n');
  const windowMs = Math.max(3_000, 10 * startMs);
  await new Promise((r) => setTimeout(r, windowMs));
  assert.deepEqual(loop.out.slice(from), [], `nothing started within ${windowMs} ms (an iteration started ${startMs} ms after a change in a context)`);

  // a manifest change redeploys; nothing is rebuilt (the build cache keeps both images)
  const mark = loop.calls.length;
  from = loop.out.length;
  await writeFile(path.join(dir, 'k8s/app.yaml'), (await readFile(path.join(dir, 'k8s/app.yaml'), 'utf8')).replace('replicas: 1', 'replicas: 2'));
  const third = await loop.next();
  assert.equal(third.ok, true, `${third.error}\n${loop.out.join('\n')}`);
  assert.ok(loop.out.slice(from).includes('[dev] changed: k8s/app.yaml (manifests k8s/*.yaml)'), loop.out.slice(from).join('\n'));
  assert.deepEqual([builds(loop.calls, base, mark), builds(loop.calls, app, mark)], [0, 0]);
  assert.deepEqual(third.images, second.images);
  assert.equal((await apps.readNamespacedDeployment({ name: 'app', namespace: name })).spec?.replicas, 2);

  loop.controller.abort();
  assert.equal(await loop.done, 0);
});

void test('a profile activated by command: dev is not applied by a CI build of the same skaffold.yaml', async () => {
  const h = await runnerHarness();
  try {
    const base = `${testenv().registry}/slipway-dev-test/${h.name}-base`;
    const app = `${testenv().registry}/slipway-dev-test/${h.name}-app`;
    const f = files(base, app);
    // a CI build pushes as the file says (local.push: false would keep the images off the registry)
    await h.repo.commit({ ...f, 'skaffold.yaml': f['skaffold.yaml']!.replace('push: false', 'push: true') }, 'skaffold');
    const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
    await h.runner([pipeline]);
    const build = await h.waitFinal((await h.enqueue(pipeline)).id, 240_000);
    assert.equal(build.status, 'succeeded', await h.logs.text(build.id));
    assert.equal((await h.apps.readNamespacedDeployment({ name: 'app', namespace: h.namespace })).spec?.template.spec?.containers[0]?.image, build.images[1]!.ref);
    assert.equal(await exists(core.readNamespacedConfigMap({ name: 'dev-only', namespace: h.namespace })), false, 'the command: dev profile is not active in a run');
  } finally {
    await h.cleanup();
  }
});
