// A skaffold pipeline with a custom builder script, a helm release (setValueTemplates and a
// chart naming the artifact's image directly, replaced by the post-renderer) and kustomize
// overlays chosen by a profile: exact helm argv at the exec door, and what the cluster holds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { exec } from '../../../runner/exec.ts';
import { testenv, testenvChildEnv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

let h: RunnerHarness;
before(async () => {
  h = await runnerHarness();
});
after(async () => {
  await h.helm('uninstall', 'todo', '--namespace', h.namespace);
  await h.cleanup();
});

function files(image: string): Record<string, string> {
  return {
    'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
build:
  tagPolicy:
    gitCommit:
      variant: AbbrevCommitSha
      prefix: c-
  artifacts:
    - image: ${image}
      context: src
      custom:
        buildCommand: sh build.sh
manifests:
  kustomize:
    paths: [kustomize/overlays/dev]
deploy:
  kubectl: {}
  helm:
    releases:
      - name: todo
        chartPath: chart
        setValues:
          replicas: 2
        setValueTemplates:
          image: "{{.IMAGE_FULLY_QUALIFIED_${image.replace(/[^A-Za-z0-9_]/g, '_')}}}"
  statusCheckDeadlineSeconds: 60
profiles:
  - name: production
    patches:
      - op: replace
        path: /manifests/kustomize/paths/0
        value: kustomize/overlays/production
`,
    'src/build.sh': `set -e
echo "custom build of $IMAGE (push $PUSH_IMAGE) in $BUILD_CONTEXT"
buildah --storage-driver vfs bud --isolation chroot --build-arg BASE=${testenv().baseImage} -t "$IMAGE" "$BUILD_CONTEXT"
if [ "$PUSH_IMAGE" = true ]; then buildah --storage-driver vfs push --tls-verify=false "$IMAGE" "docker://$IMAGE"; fi
`,
    'src/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo todo > /todo.txt\n',
    'chart/Chart.yaml': 'apiVersion: v2\nname: todo\nversion: 0.1.0\n',
    'chart/values.yaml': 'replicas: 1\nimage: busybox\n',
    'chart/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: { app: {{ .Release.Name }} }
  template:
    metadata:
      labels: { app: {{ .Release.Name }} }
    spec:
      containers:
        - name: app
          image: {{ .Values.image }}
        - name: sidecar
          image: ${image}:dev
`,
    'kustomize/base/kustomization.yaml': 'resources: [configmap.yaml]\n',
    'kustomize/base/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  stage: base\n',
    'kustomize/overlays/dev/kustomization.yaml': 'resources: [../../base]\nnameSuffix: -dev\n',
    'kustomize/overlays/production/kustomization.yaml': 'resources: [../../base]\nnameSuffix: -production\n',
  };
}

void test('custom builder, helm with setValueTemplates and the post-renderer, kustomize overlay by profile', async () => {
  const image = `${testenv().registry}/slipway-skaffold-test/${h.name}-todo`;
  const sha = await h.repo.commit(files(image), 'skaffold with helm');
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml', profiles: ['production'] } });
  await h.runner([pipeline]);
  const queued = await h.enqueue(pipeline);
  const build = await h.waitFinal(queued.id, 240_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'succeeded', log);

  // the custom build: its own buildah, pushed; tag from gitCommit with prefix; digest from the registry
  const [img] = build.images;
  assert.equal(img!.tag, `c-${sha.slice(0, 7)}`);
  assert.match(img!.digest, /^sha256:[0-9a-f]{64}$/);
  assert.match(log, new RegExp(`custom build of ${image}:c-${sha.slice(0, 7)} \\(push true\\)`));
  // the command is the last argv element: it runs inside the sandbox's builder mode (unshare, then bwrap)
  const custom = h.calls.find((c) => c.argv.at(-1) === 'sh build.sh');
  assert.match(custom?.argv[0] ?? '', /unshare$/);
  assert.ok(custom?.argv.some((a) => a.endsWith('bwrap')));
  assert.equal(custom?.options.env?.IMAGE, `${image}:${img!.tag}`);
  assert.equal(custom?.options.env?.PUSH_IMAGE, 'true');
  assert.equal(custom?.options.env?.SKIP_TEST, 'false');

  // helm: --set for values and templates, the post-renderer last
  const upgrade = h.calls.find((c) => c.argv[1] === 'upgrade');
  assert.ok(upgrade);
  const argv = upgrade.argv;
  assert.deepEqual(argv.slice(0, 14), [testenv().helm, 'upgrade', '--install', 'todo', argv[4]!, '--namespace', h.namespace, '--create-namespace', '--atomic', '--wait', '--timeout', '60s', '--set', 'replicas=2']);
  assert.deepEqual(argv.slice(14, 16), ['--set', `image=${img!.ref}`]);
  assert.deepEqual(argv.slice(16, 18), ['--post-renderer', process.execPath]);
  const dep = await h.apps.readNamespacedDeployment({ name: 'todo', namespace: h.namespace });
  assert.deepEqual(dep.spec?.template.spec?.containers.map((c) => c.image), [img!.ref, img!.ref]);
  assert.equal(dep.status?.readyReplicas, 2);

  // kustomize: the production overlay (the profile's patch), applied by kubectl
  const cms = await exec(['kubectl', 'get', 'configmap', '--namespace', h.namespace, '--output', 'name'], { env: testenvChildEnv() });
  const names = cms.stdout.split('\n').filter((n) => n.startsWith('configmap/settings')).map((n) => n.slice('configmap/'.length));
  assert.deepEqual(names, ['settings-production']);
  assert.ok(h.calls.some((c) => c.argv[1] === 'kustomize' && c.argv[2]!.endsWith('kustomize/overlays/production')));
});
