// A skaffold pipeline end to end on a real git repository: the plan read from the repository's
// skaffold.yaml at the commit, two artifacts (one requiring the other, its reference passed as
// the alias build arg), tags from envTemplate with {{.BUILD_NUMBER}}, a custom test, and a
// kubectl deploy of rawYaml with the image replaced, Ready in the environment's namespace.
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

function files(base: string, app: string): Record<string, string> {
  return {
    'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
metadata:
  name: shop
build:
  tagPolicy:
    envTemplate:
      template: "{{.BUILD_NUMBER}}-kiamol"
  local:
    concurrency: 0
  artifacts:
    - image: ${base}
      context: base
      docker:
        buildArgs:
          BASE: ${testenv().baseImage}
    - image: ${app}
      context: app
      requires:
        - image: ${base}
          alias: BASE_IMAGE
test:
  - image: ${app}
    custom:
      - command: 'echo "testing $IMAGE"; test -n "$IMAGE"'
        timeoutSeconds: 60
manifests:
  rawYaml:
    - k8s/*.yaml
deploy:
  kubectl: {}
  statusCheckDeadlineSeconds: 60
`,
    'base/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo base > /base.txt\n',
    'app/Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN cat /base.txt && echo app > /app.txt\n',
    'k8s/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 2
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
      containers:
        - name: shop
          image: ${app}:latest
`,
    'k8s/ingress.yaml': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  rules:
    - host: shop.slipway.test
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: { service: { name: shop, port: { number: 80 } } }
`,
    'k8s/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\nspec:\n  type: ClusterIP\n  selector: { app: shop }\n  ports: [{ port: 80 }]\n',
  };
}

void test('a skaffold pipeline builds, pushes, tests and deploys what the repository says, images replaced', async () => {
  const base = `${testenv().registry}/slipway-skaffold-test/${h.name}-base`;
  const app = `${testenv().registry}/slipway-skaffold-test/${h.name}-app`;
  await h.repo.commit(files(base, app), 'skaffold');
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  await h.runner([pipeline]);
  const queued = await h.enqueue(pipeline);
  const build = await h.waitFinal(queued.id, 240_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'succeeded', log);
  assert.deepEqual(build.stages.map((s) => `${s.name}:${s.status}`), ['checkout:succeeded', 'build:succeeded', 'test:succeeded', 'deploy:succeeded', 'report:skipped']);

  // tags from the envTemplate; the required image built first and passed as BASE_IMAGE
  const tag = `${build.number}-kiamol`;
  assert.deepEqual(build.images.map((i) => [i.name, i.tag]), [[base, tag], [app, tag]]);
  const [baseImg, appImg] = build.images;
  assert.match(appImg!.digest, /^sha256:[0-9a-f]{64}$/);
  const bud = h.calls.find((c) => c.argv.includes('bud') && c.argv.includes(`${app}:${tag}`));
  assert.ok(bud, 'buildah bud of the app');
  assert.ok(bud.argv.includes(`BASE_IMAGE=${baseImg!.ref}`), bud.argv.join(' '));
  const budBase = h.calls.findIndex((c) => c.argv.includes('bud') && c.argv.includes(`${base}:${tag}`));
  assert.ok(budBase >= 0 && budBase < h.calls.indexOf(bud), 'the base builds before the app');

  // the custom test saw $IMAGE
  assert.match(log, new RegExp(`testing ${appImg!.ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

  // the kubectl deploy: exact argv at the door, the Deployment Ready on the built reference
  const apply = h.calls.find((c) => c.argv[1] === 'apply');
  assert.deepEqual(apply?.argv, ['kubectl', 'apply', '--server-side', '--force-conflicts', '--field-manager', 'slipway', '--namespace', h.namespace, '--filename', '-']);
  const dep = await h.apps.readNamespacedDeployment({ name: 'shop', namespace: h.namespace });
  assert.equal(dep.spec?.template.spec?.containers[0]?.image, appImg!.ref);
  assert.equal(dep.status?.readyReplicas, 2);
  assert.equal(dep.metadata?.labels?.['slipway.dev/pipeline'], h.name);
  assert.equal(build.environment?.namespace, h.namespace);
  // the Ingress it applied: its URL recorded on the environment (seed 002)
  assert.equal(build.environment?.url, 'http://shop.slipway.test/');
});
