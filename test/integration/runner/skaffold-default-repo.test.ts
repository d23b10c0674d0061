// A skaffold pipeline whose skaffold.yaml names a registry-less image (`app`) and whose rawYaml
// names `app` too: built with a default repo (the pipeline's skaffold.defaultRepo over the
// runner's SLIPWAY_DEFAULT_REPO), the image is pushed under it, its custom test (naming `app`)
// gets the pushed reference as $IMAGE, and the Deployment runs the pushed reference with its digest.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { testenv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

let h: RunnerHarness;
before(async () => {
  h = await runnerHarness();
});
after(async () => {
  await h.cleanup();
});

const files = (): Record<string, string> => ({
  'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
metadata:
  name: app
build:
  artifacts:
    - image: app
      context: app
      docker:
        buildArgs:
          BASE: ${testenv().baseImage}
test:
  - image: app
    custom:
      - command: 'echo "tested IMAGE=$IMAGE"'
manifests:
  rawYaml:
    - k8s/*.yaml
deploy:
  kubectl: {}
  statusCheckDeadlineSeconds: 60
`,
  'app/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo app > /app.txt\n',
  'k8s/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 1
  selector: { matchLabels: { app: app } }
  template:
    metadata: { labels: { app: app } }
    spec:
      containers:
        - name: app
          image: app
`,
});

void test('skaffold.defaultRepo (over SLIPWAY_DEFAULT_REPO): a registry-less image is pushed under it, tested as pushed and deployed by digest', async () => {
  const repo = `${testenv().registry}/slipway-skaffold-dr/${h.name}`;
  await h.repo.commit(files(), 'skaffold, image app');
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml', defaultRepo: repo } });
  // the runner's default repo loses to the pipeline's
  await h.runner([pipeline], { defaultRepo: `${testenv().registry}/slipway-skaffold-dr/runner-${h.name}` });
  const queued = await h.enqueue(pipeline);
  const build = await h.waitFinal(queued.id, 240_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'succeeded', log);
  assert.deepEqual(build.images.map((i) => i.name), [`${repo}/app`]);
  const img = build.images[0]!;
  assert.match(img.ref, new RegExp(`^${repo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/app:.+@sha256:[0-9a-f]{64}$`));
  assert.ok(log.includes(`tested IMAGE=${img.ref}`), `the custom test got the pushed image:\n${log}`);
  const dep = await h.apps.readNamespacedDeployment({ name: 'app', namespace: h.namespace });
  assert.equal(dep.spec?.template.spec?.containers[0]?.image, img.ref);
});
