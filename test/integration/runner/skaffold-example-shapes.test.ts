// Two layouts of Skaffold's own examples, as a team would bring them, through the real runner,
// buildah, registry and kubectl:
// - getting-started: one artifact whose context is the repository's root. The checkout's `.git`
//   (a worktree's pointer naming the build) used to go into the input digest, so building the same
//   commit again (a re-run, a branch made at it) never reused the image and, its gitCommit tag
//   already pushed, failed on the immutable tag.
// - microservices: two artifacts whose manifests name other images (`gcr.io/…/leeroy-app`), so
//   nothing built is deployed; Skaffold warns `image [leeroy-app] is not used by the deployment`,
//   and so does the build log now, for that artifact only.
// - tagPolicy sha256 (Skaffold's tagger of that name): every build is tagged `latest` and deployed
//   by digest, so `latest` moves to the newest image instead of failing the immutable-tag rule.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { registryDigest } from '../../helpers/registry-tags.ts';
import { testenv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

// a harness (runner, repository, namespace) per test: a runner started by one would take the other's builds
let h: RunnerHarness;
beforeEach(async () => {
  h = await runnerHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const dockerfile = (what: string) => `ARG BASE=${testenv().baseImage}\nFROM \${BASE}\nCOPY . /app\nCMD ["sh", "-c", "echo ${what}; sleep 3600"]\n`;
const pod = (name: string, image: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n    - name: ${name}\n      image: ${image}\n`;

void test('getting-started: an artifact at the repository root built again at the same commit is reused, not refused on its tag', async () => {
  const image = `${testenv().registry}/slipway-example-shapes/${h.name}-example`;
  const head = await h.repo.commit(
    {
      'skaffold.yaml': `apiVersion: skaffold/v4beta3\nkind: Config\nbuild:\n  artifacts:\n  - image: ${image}\nmanifests:\n  rawYaml:\n  - k8s-pod.yaml\n`,
      Dockerfile: dockerfile('getting-started'),
      'k8s-pod.yaml': pod('getting-started', image),
    },
    'getting-started',
  );
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  await h.runner([pipeline]);
  const first = await h.waitFinal((await h.enqueue(pipeline, { sha: head })).id, 120_000);
  assert.equal(first.status, 'succeeded', await h.logs.text(first.id));
  const again = await h.waitFinal((await h.enqueue(pipeline, { sha: head })).id, 120_000);
  const log = await h.logs.text(again.id);
  assert.equal(again.status, 'succeeded', log);
  assert.match(log, new RegExp(`^unchanged, reused ${image.replace(/[.]/g, '\\.')}:${head.slice(0, 7)}@${first.images[0]!.digest}$`, 'm'));
  assert.deepEqual(again.images.map((i) => i.ref), first.images.map((i) => i.ref));
});

void test('microservices: an artifact no manifest names gets a warning in the build log, one that is named does not', async () => {
  const repo = `${testenv().registry}/slipway-example-shapes/${h.name}`;
  const sha = await h.repo.commit(
    {
      'ms/skaffold.yaml': `apiVersion: skaffold/v2beta7
kind: Config
build:
  artifacts:
    - image: ${repo}-web
      context: leeroy-web
    - image: ${repo}-app
      context: leeroy-app
deploy:
  kubectl:
    manifests:
      - leeroy-web/kubernetes/*
      - leeroy-app/kubernetes/*
`,
      'ms/leeroy-web/Dockerfile': dockerfile('web'),
      'ms/leeroy-app/Dockerfile': dockerfile('app'),
      'ms/leeroy-web/kubernetes/pod.yaml': pod('leeroy-web', `${repo}-web:v1`),
      'ms/leeroy-app/kubernetes/pod.yaml': pod('leeroy-app', 'gcr.io/k8s-skaffold/leeroy-app'),
    },
    'microservices',
  );
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'ms/skaffold.yaml' } });
  await h.runner([pipeline]);
  const build = await h.waitFinal((await h.enqueue(pipeline, { sha })).id, 120_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'succeeded', log);
  const warnings = log.split('\n').filter((l) => l.includes('is not used by the deployment'));
  assert.deepEqual(warnings, [`warning: image ${repo}-app is not used by the deployment: no manifest's image: names it, so it was built but what runs is not it`]);
});

void test('tagPolicy sha256: every build is tagged latest, the tag moves to the newest image and the deploy names it by digest', async () => {
  const image = `${testenv().registry}/slipway-example-shapes/${h.name}-sha`;
  const files = (what: string) => ({
    'skaffold.yaml': `apiVersion: skaffold/v2beta29\nkind: Config\nbuild:\n  tagPolicy:\n    sha256: {}\n  artifacts:\n  - image: ${image}\ndeploy:\n  kubectl:\n    manifests:\n    - k8s-pod.yaml\n`,
    Dockerfile: dockerfile(what),
    'k8s-pod.yaml': pod('sha-tagged', image),
  });
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  await h.runner([pipeline]);
  const first = await h.waitFinal((await h.enqueue(pipeline, { sha: await h.repo.commit(files('v1'), 'v1') })).id, 120_000);
  assert.equal(first.status, 'succeeded', await h.logs.text(first.id));
  const second = await h.waitFinal((await h.enqueue(pipeline, { sha: await h.repo.commit(files('v2'), 'v2') })).id, 120_000);
  const log = await h.logs.text(second.id);
  assert.equal(second.status, 'succeeded', log);
  const [a, b] = [first.images[0]!, second.images[0]!];
  assert.notEqual(b.digest, a.digest, 'v2 is another image');
  assert.equal(b.ref, `${image}:latest@${b.digest}`);
  assert.equal(await registryDigest(image, 'latest'), b.digest, 'latest names the newest build');
  assert.match(log, new RegExp(`^${image.replace(/[.]/g, '\\.')}:latest moved from ${a.digest} to this build's image`, 'm'));
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  const deployed = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: 'sha-tagged', namespace: h.namespace });
  assert.equal(deployed.spec?.containers[0]?.image, b.ref);
});
