// What some version-dependent fields do once accepted: `requiresAllActivations` decides between
// ALL and ANY of a profile's activations, as Skaffold does; a Dockerfile artifact that needs build
// secrets or an ssh agent is warned about and its plan is refused before anything builds (the others still plan); kubectl's
// `disableValidation` becomes `--validate=false` on the apply.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatProblem } from '../../../../core/errors.ts';
import { loadSkaffold } from '../../../../pipelines/skaffold/load.ts';

function fromText(text: string, env: Record<string, string> = {}) {
  return loadSkaffold({
    root: '/repo',
    source: { path: 'skaffold.yaml', profiles: [], module: [] },
    activation: { env, kubeContext: 'kind-dev', command: 'run' },
    readFile: (f) => (f === '/repo/skaffold.yaml' ? Promise.resolve(text) : Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }))),
  });
}

const profiles = (apiVersion: string) => `apiVersion: ${apiVersion}
kind: Config
build:
  artifacts:
    - image: app
manifests:
  rawYaml: [k8s/*.yaml]
profiles:
  - name: all
    requiresAllActivations: true
    activation:
      - env: STAGE=prod
      - kubeContext: kind-dev
    build:
      local: {push: false}
  - name: any
    activation:
      - env: STAGE=prod
      - kubeContext: gke-prod
    patches:
      - op: add
        path: /build/tagPolicy
        value: {sha256: {}}
`;

void test('requiresAllActivations: true activates a profile only when ALL its activations match; without it ANY one does', async () => {
  const none = await fromText(profiles('skaffold/v4beta14'));
  assert.deepEqual(none.errors, []);
  assert.deepEqual(none.plan!.profiles, [], 'kubeContext kind-dev alone: `all` needs STAGE=prod too; `any` matches neither');
  assert.equal(none.plan!.build.push, true);

  const prod = await fromText(profiles('skaffold/v4beta14'), { STAGE: 'prod' });
  assert.deepEqual(prod.plan!.profiles, ['all', 'any'], 'STAGE=prod and kind-dev: both of `all`, one of `any`');
  assert.equal(prod.plan!.build.push, false);
  assert.deepEqual(prod.plan!.build.tagPolicy, { kind: 'sha256' });

  const other = await fromText(profiles('skaffold/v4beta14'), { STAGE: 'qa' });
  assert.deepEqual(other.plan!.profiles, []);

  // the same in the first version that has the field; the version before refuses it at its place
  assert.deepEqual((await fromText(profiles('skaffold/v3alpha1'), { STAGE: 'prod' })).plan!.profiles, ['all', 'any']);
  const old = await fromText(profiles('skaffold/v2beta29').replace('manifests:\n  rawYaml: [k8s/*.yaml]\n', 'deploy:\n  kubectl: {}\n'), { STAGE: 'prod' });
  assert.equal(old.plan, undefined);
  assert.deepEqual(old.errors.map(formatProblem), ['skaffold.yaml:10:5: profiles[0].requiresAllActivations: unknown key in skaffold/v2beta29 (added in skaffold/v3alpha1)']);
});

void test('docker secrets / ssh: a warning naming the path, and that artifact is unsupported with a clear reason; squash and cliFlags are only warned about', async () => {
  const res = await fromText(`apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - image: web
      docker:
        squash: true
        cliFlags: [--quiet]
    - image: api
      docker:
        secrets:
          - id: npmrc
            src: .npmrc
    - image: worker
      docker:
        ssh: default
manifests:
  rawYaml: [k8s/*.yaml]
`);
  assert.deepEqual(res.errors, []);
  assert.deepEqual(res.warnings.map(formatProblem), [
    'skaffold.yaml:7:9: build.artifacts[0].docker.squash: not passed to the builder; ignored',
    'skaffold.yaml:8:9: build.artifacts[0].docker.cliFlags: not passed to the builder; ignored',
    'skaffold.yaml:11:9: build.artifacts[1].docker.secrets: build secrets are not passed to the builder: a build that needs it fails before anything is built',
    'skaffold.yaml:16:9: build.artifacts[2].docker.ssh: build ssh agents are not passed to the builder: a build that needs it fails before anything is built',
  ]);
  const [web, api, worker] = res.plan!.build.artifacts;
  assert.equal(web!.builder.kind, 'dockerfile');
  assert.deepEqual(api!.builder, { kind: 'unsupported', builder: 'docker', reason: 'docker.secrets: build secrets are not supported by this runner (not passed to buildah)' });
  assert.deepEqual(worker!.builder, { kind: 'unsupported', builder: 'docker', reason: 'docker.ssh: build ssh agents are not supported by this runner (not passed to buildah)' });
  assert.equal(api!.where, 'skaffold.yaml:9');
});

void test('deploy.kubectl.flags.disableValidation (and a v2 kustomize deployer\'s) passes --validate=false to kubectl apply', async () => {
  const v4 = await fromText('apiVersion: skaffold/v4beta14\nkind: Config\nmanifests:\n  rawYaml: [k8s/*.yaml]\ndeploy:\n  kubectl:\n    flags:\n      apply: [--force-conflicts]\n      disableValidation: true\n');
  assert.deepEqual(v4.warnings, []);
  assert.deepEqual(v4.plan!.deploys, [{ kind: 'kubectl', sources: [{ kind: 'rawYaml', globs: ['k8s/*.yaml'] }], flags: { global: [], apply: ['--force-conflicts', '--validate=false'], delete: [] } }]);
  const v2 = await fromText('apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  kustomize:\n    paths: [overlays/prod]\n    flags:\n      disableValidation: true\n');
  assert.deepEqual(v2.plan!.deploys, [{ kind: 'kubectl', sources: [{ kind: 'kustomize', path: 'overlays/prod', buildArgs: [] }], flags: { global: [], apply: ['--validate=false'], delete: [] } }]);
});
