// The seed fixtures (test/fixtures/skaffold/seed000, seed001, seed002) run as CI builds: each case
// copies a fixture folder into a real git repository of its own (its own namespace, Redis prefix and
// registry path, so immutable tags never collide), with only the Dockerfiles' base image filled in
// from the testenv; the images' registry-less names go under the pipeline's skaffold.defaultRepo.
// Real buildah, registry, kubectl and helm against the test API. Each case is one build (seconds here).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { buildahArgv } from '../../helpers/buildah-argv.ts';
import { assertNotPushed, tagsOf } from '../../helpers/registry-tags.ts';
import { ROOT, testenv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

const FIXTURES = path.join(ROOT, 'test/fixtures/skaffold');
const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The fixture folder's files (path → content), Dockerfiles' bare `ARG BASE` given the testenv's base image. */
async function seedFiles(seed: string, dir = path.join(FIXTURES, seed), rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, await seedFiles(seed, dir, child));
    else {
      const text = await readFile(path.join(dir, child), 'utf8');
      out[child] = /(^|\/)Dockerfile/.test(child) ? text.replace(/^ARG BASE$/m, `ARG BASE=${testenv().baseImage}`) : text;
    }
  }
  return out;
}

/** The registry holds the pushed tag and, besides it, only the build cache's `slipway-input-<digest>` (README). */
async function assertPushed(img: { name: string; tag: string }): Promise<void> {
  const tags = await tagsOf(img.name);
  assert.ok(tags.includes(img.tag), `${img.name}: ${tags.join(', ')}`);
  assert.deepEqual(tags.filter((t) => t !== img.tag && !/^slipway-input-[0-9a-f]{64}$/.test(t)), [], img.name);
}

/** Runs `seed` as one CI build in a harness of its own and returns what the test needs. */
async function runSeed(h: RunnerHarness, seed: string, skaffold: Record<string, unknown> = {}) {
  const defaultRepo = `${testenv().registry}/slipway-seeds/${h.name}`;
  await h.repo.commit(await seedFiles(seed), seed);
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml', defaultRepo, ...skaffold } });
  await h.runner([pipeline]);
  const queued = await h.enqueue(pipeline);
  const build = await h.waitFinal(queued.id, 50_000);
  const log = await h.logs.text(build.id);
  return { build, log, defaultRepo };
}

async function withHarness(fn: (h: RunnerHarness) => Promise<void>, releases: string[] = []): Promise<void> {
  const h = await runnerHarness();
  try {
    await fn(h);
  } finally {
    for (const r of releases) await h.helm('uninstall', r, '--namespace', h.namespace);
    await h.cleanup();
  }
}

void test('seed 000: a dateTime tag of layout 01/02_15:04:05 made a valid tag, pushed, and a 3-replica Deployment on repo:tag@digest', () =>
  withHarness(async (h) => {
    const { build, log, defaultRepo } = await runSeed(h, 'seed000');
    assert.equal(build.status, 'succeeded', log);
    const image = `${defaultRepo}/hello-web`;
    assert.deepEqual(build.images.map((i) => i.name), [image]);
    const img = build.images[0]!;
    // README: characters a tag cannot hold become `-`
    assert.match(img.tag, /^\d\d-\d\d_\d\d-\d\d-\d\d$/);
    assert.equal(img.ref, `${image}:${img.tag}@${img.digest}`);
    assert.match(img.digest, /^sha256:[0-9a-f]{64}$/);
    await assertPushed(img);
    const bud = h.calls.map((c) => buildahArgv(c.argv)).find((a) => a?.includes('bud'));
    assert.ok(bud?.[bud.indexOf('-f') + 1]?.endsWith('/Dockerfile.dev'), `built from Dockerfile.dev: ${bud?.join(' ')}`);
    const dep = await h.apps.readNamespacedDeployment({ name: 'hello-web', namespace: h.namespace });
    assert.equal(dep.spec?.template.spec?.containers[0]?.image, img.ref);
    assert.equal(dep.status?.readyReplicas, 3);
    const kc = new KubeConfig();
    kc.loadFromFile(testenv().kubeconfig);
    const svc = await kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'hello-web', namespace: h.namespace });
    assert.equal(svc.spec?.type, 'ClusterIP');
  }));

/** The build log's warning of a deploy naming images the build did not push (local.push: false). */
const UNPUSHED = /^warning: build\.local\.push is false.*$/gm;

void test('seed 001 (v1beta11), profile dev: local.push false builds, the registry gets nothing, and the log warns once that the deploy names an unpushed image', () =>
  withHarness(async (h) => {
    const { build, log, defaultRepo } = await runSeed(h, 'seed001', { profiles: ['dev'] });
    assert.equal(build.status, 'succeeded', log);
    const image = `${defaultRepo}/todo-list`;
    // kwok's pods turn Ready whatever the image; a real cluster would fail to pull it
    assert.deepEqual(log.match(UNPUSHED), [
      `warning: build.local.push is false (profile dev): ${image} is not pushed, and the deploy names it; the cluster must already have it (Slipway does not load images into a cluster)`,
    ]);
    assert.deepEqual(build.images.map((i) => i.name), [image]);
    assert.ok(h.calls.some((c) => buildahArgv(c.argv)?.includes('bud')), 'built');
    assert.ok(!h.calls.some((c) => buildahArgv(c.argv)?.includes('push')), 'no buildah push');
    await assertNotPushed(image);
  }));

void test('seed 001 (v1beta11), profile production: the helm release deployed, both containers on the pushed digest', () =>
  withHarness(
    async (h) => {
      const { build, log, defaultRepo } = await runSeed(h, 'seed001', { profiles: ['production'] });
      assert.equal(build.status, 'succeeded', log);
      assert.deepEqual(log.match(UNPUSHED), null, 'pushed: no warning');
      const image = `${defaultRepo}/todo-list`;
      const img = build.images[0]!;
      assert.equal(img.name, image);
      assert.match(img.tag, /^[0-9a-f]{7,}$/, 'gitCommit AbbrevCommitSha of a clean tree');
      await assertPushed(img);
      const list = await h.helm('list', '--namespace', h.namespace, '--output', 'json');
      const releases = JSON.parse(list.stdout) as { name: string; status: string }[];
      assert.deepEqual(releases.map((r) => [r.name, r.status]), [['todo-list', 'deployed']]);
      const dep = await h.apps.readNamespacedDeployment({ name: 'todo-list', namespace: h.namespace });
      // values.image (v1beta11 `values` → setValueTemplates) and the sidecar naming todo-list:dev (post-renderer)
      assert.deepEqual(dep.spec?.template.spec?.containers.map((c) => c.image), [img.ref, img.ref]);
      assert.equal(dep.spec?.replicas, 2);
      assert.equal(dep.status?.readyReplicas, 2);
      // the profile adds helm to the base's kubectl deploy (Skaffold deploys both): its own Deployment, on the same image
      const raw = await h.apps.readNamespacedDeployment({ name: 'todo-list-raw', namespace: h.namespace });
      assert.equal(raw.spec?.template.spec?.containers[0]?.image, img.ref);
    },
    ['todo-list'],
  ));

void test('seed 001 as a v1beta11 file with no profile: upgraded, deploy.kubectl.manifests applied on the pushed reference', () =>
  withHarness(async (h) => {
    const { build, log } = await runSeed(h, 'seed001');
    assert.equal(build.status, 'succeeded', log);
    assert.deepEqual(log.match(UNPUSHED), null, 'pushed: no warning');
    const img = build.images[0]!;
    const apply = h.calls.find((c) => c.argv[0] === 'kubectl' && c.argv[1] === 'apply');
    assert.deepEqual(apply?.argv, ['kubectl', 'apply', '--server-side', '--force-conflicts', '--field-manager', 'slipway', '--namespace', h.namespace, '--filename', '-']);
    const dep = await h.apps.readNamespacedDeployment({ name: 'todo-list-raw', namespace: h.namespace });
    assert.equal(dep.spec?.template.spec?.containers[0]?.image, img.ref);
    assert.equal(dep.status?.readyReplicas, 1);
    const list = await h.helm('list', '--namespace', h.namespace, '--output', 'json');
    assert.deepEqual(JSON.parse(list.stdout), [], 'no helm release without the production profile');
  }));

void test('seed 002, module shop: required configs built and pushed (shop-base as BASE of shop-api), the jib config left out, the Ingress URL recorded', () =>
  withHarness(async (h) => {
    const { build, log, defaultRepo } = await runSeed(h, 'seed002', { module: ['shop'] });
    assert.equal(build.status, 'succeeded', log);
    const names = ['shop-api', 'shop-web', 'shop-base'].map((n) => `${defaultRepo}/${n}`);
    assert.deepEqual(build.images.map((i) => i.name).sort(), [...names].sort());
    await assertNotPushed(`${defaultRepo}/shop-tools`);
    for (const img of build.images) await assertPushed(img);
    const ref = (n: string) => build.images.find((i) => i.name === `${defaultRepo}/${n}`)!.ref;
    const buds = h.calls.map((c) => buildahArgv(c.argv)).filter((a) => a?.includes('bud'));
    assert.equal(buds.length, 3);
    const api = buds.find((a) => a!.some((x) => x.startsWith(`${defaultRepo}/shop-api:`)));
    assert.ok(api?.includes(`BASE=${ref('shop-base')}`), api?.join(' '));
    // the api's Dockerfile reads the base's file: it was built FROM shop-base
    assert.match(log, /cat \/base\.txt/);
    const web = buds.find((a) => a!.some((x) => x.startsWith(`${defaultRepo}/shop-web:`)));
    assert.ok(web?.includes(`GREETING=hello ${build.number}`), web?.join(' '));
    for (const [name, n] of [['shop-api', 'shop-api'], ['shop-web', 'shop-web']] as const) {
      const dep = await h.apps.readNamespacedDeployment({ name, namespace: h.namespace });
      assert.equal(dep.spec?.template.spec?.containers[0]?.image, ref(n));
      assert.equal(dep.status?.readyReplicas, 1);
    }
    // its rules only route /web and /api: the URL is the first one, not a root nothing answers
    assert.equal(build.environment?.url, 'http://shop.slipway.test/web');
    assert.doesNotMatch(log, new RegExp(quote('shop-tools')));
  }));

void test('seed 002 without a module selection: the jib config is part of the run, the build fails naming it before anything is pushed', () =>
  withHarness(async (h) => {
    const { build, log, defaultRepo } = await runSeed(h, 'seed002');
    assert.equal(build.status, 'failed', log);
    assert.match(log, /skaffold\.yaml:25:7\b.*jib: the jib builder is not supported by this runner/);
    assert.ok(!h.calls.some((c) => buildahArgv(c.argv)?.includes('bud')), 'nothing built');
    await assertNotPushed(...['shop-api', 'shop-web', 'shop-base', 'shop-tools'].map((n) => `${defaultRepo}/${n}`));
  }));
