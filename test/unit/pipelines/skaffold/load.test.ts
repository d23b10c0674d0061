import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { formatProblem } from '../../../../core/errors.ts';
import { loadSkaffold, type LoadSkaffoldOptions } from '../../../../pipelines/skaffold/load.ts';
import { parseSkaffold } from '../../../../pipelines/skaffold/parse.ts';
import { ROOT } from '../../../helpers/testenv.ts';

const FIXTURES = path.join(ROOT, 'test/fixtures/skaffold');
const activation = { env: {}, kubeContext: 'slipway-test', command: 'run' };

function load(dir: string, extra: Partial<LoadSkaffoldOptions> = {}) {
  return loadSkaffold({
    root: path.join(FIXTURES, dir),
    source: { path: 'skaffold.yaml', profiles: [], module: [] },
    activation,
    ...extra,
  });
}

void test('seed 000: one artifact from Dockerfile.dev, a dateTime tag, rawYaml applied by kubectl', async () => {
  const { plan, errors, warnings } = await load('seed000');
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.ok(plan);
  assert.deepEqual(plan.build.artifacts.map((a) => [a.image, a.context, a.builder]), [
    ['hello-web', '.', { kind: 'dockerfile', dockerfile: 'Dockerfile.dev', buildArgs: {} }],
  ]);
  assert.deepEqual(plan.build.tagPolicy, { kind: 'dateTime', format: '01/02_15:04:05', timezone: 'UTC' });
  assert.equal(plan.build.push, true);
  assert.deepEqual(plan.deploys, [{ kind: 'kubectl', sources: [{ kind: 'rawYaml', globs: ['k8s/*.yaml'] }], flags: { global: [], apply: [], delete: [] } }]);
  assert.deepEqual(plan.statusCheck, { enabled: true, deadlineSeconds: 600, tolerateFailuresUntilDeadline: false });
});

void test('seed 001: a v1beta11 file is upgraded; dev keeps the images local; production deploys with helm', async () => {
  const base = await load('seed001');
  assert.deepEqual(base.errors, []);
  assert.deepEqual(base.plan!.profiles, []);
  assert.equal(base.plan!.build.push, true);
  assert.deepEqual(base.plan!.build.tagPolicy, { kind: 'gitCommit', variant: 'AbbrevCommitSha', prefix: '', ignoreChanges: false });
  assert.deepEqual(base.plan!.build.artifacts[0]!.context, 'src');
  // deploy.kubectl.manifests became manifests.rawYaml
  assert.deepEqual(base.plan!.deploys, [{ kind: 'kubectl', sources: [{ kind: 'rawYaml', globs: ['k8s/*.yaml'] }], flags: { global: [], apply: [], delete: [] } }]);

  const dev = await load('seed001', { source: { path: 'skaffold.yaml', profiles: ['dev'], module: [] } });
  assert.deepEqual(dev.plan!.profiles, ['dev']);
  assert.equal(dev.plan!.build.push, false);

  // activated by its env activation; helm values (v1beta11) → artifactOverrides (v2beta4) → setValueTemplates (v3alpha1)
  const prod = await load('seed001', { activation: { ...activation, env: { SLIPWAY_TEST_STAGE: 'prod' } } });
  assert.deepEqual(prod.errors, []);
  assert.deepEqual(prod.plan!.profiles, ['production']);
  const helm = prod.plan!.deploys.find((d) => d.kind === 'helm');
  assert.ok(helm && helm.kind === 'helm');
  assert.deepEqual(helm.releases.map((r) => [r.name, r.chartPath, r.setValues, r.setValueTemplates, r.replaceImages]), [
    ['todo-list', 'helm/app', { replicas: '2' }, { image: '{{.IMAGE_FULLY_QUALIFIED_todo_list}}' }, true],
  ]);
  // the base's kubectl deploy stays (the profile added helm): Skaffold deploys both
  assert.ok(prod.plan!.deploys.some((d) => d.kind === 'kubectl'));

  // Slipway's branch rule: the branch's Slipway profile activates the skaffold profile of that name
  const branch = await load('seed001', { branchProfile: 'production' });
  assert.deepEqual(branch.plan!.profiles, ['production']);
});

void test('seed 002: required configs first, their paths made relative to the repository, artifact requires kept', async () => {
  const { plan, errors, warnings } = await load('seed002');
  assert.deepEqual(errors, []);
  assert.ok(plan);
  assert.deepEqual(plan.build.artifacts.map((a) => [a.image, a.context, a.requires]), [
    ['shop-api', 'api', [{ image: 'shop-base', alias: 'BASE' }]],
    ['shop-web', 'web', []],
    ['shop-base', 'base', []],
    ['shop-tools', 'tools', []],
  ]);
  assert.deepEqual(plan.build.artifacts[1]!.builder, { kind: 'dockerfile', dockerfile: 'Dockerfile', buildArgs: { GREETING: 'hello {{.BUILD_NUMBER}}' } });
  assert.deepEqual(plan.build.artifacts[3]!.builder, { kind: 'unsupported', builder: 'jib' });
  assert.deepEqual(plan.deploys, [
    {
      kind: 'kubectl',
      sources: [
        { kind: 'rawYaml', globs: ['api/k8s/*.yaml'] },
        { kind: 'kustomize', path: 'web/overlays/dev', buildArgs: [] },
        { kind: 'rawYaml', globs: ['k8s/ingress.yaml'] },
      ],
      flags: { global: [], apply: [], delete: [] },
    },
  ]);
  // jib is known to Skaffold, not run here: a warning with its place, not an error
  assert.deepEqual(warnings.map(formatProblem), [
    'skaffold.yaml:25:7: build.artifacts[0].jib: the jib builder is not supported by this runner: a build that needs it fails before anything is built',
  ]);

  // module selection: only `api` (and what it requires: nothing)
  const api = await load('seed002', { source: { path: 'skaffold.yaml', profiles: [], module: ['api'] } });
  assert.deepEqual(api.errors.map(formatProblem), ['artifact shop-api requires shop-base, which no config builds']);

  const web = await load('seed002', { source: { path: 'skaffold.yaml', profiles: ['production'], module: ['web'] } });
  assert.deepEqual(web.errors, []);
  assert.deepEqual(web.plan!.deploys[0], { kind: 'kubectl', sources: [{ kind: 'kustomize', path: 'web/overlays/production', buildArgs: [] }], flags: { global: [], apply: [], delete: [] } });

  const missing = await load('seed002', { source: { path: 'skaffold.yaml', profiles: [], module: ['nope'] } });
  assert.deepEqual(missing.errors.map(formatProblem), ['skaffold.yaml: module nope: no config has metadata.name nope']);
});

void test('an unknown field is an error with file:line:column, as in Skaffold', async () => {
  const file = path.join(FIXTURES, 'broken/unknown-field.yaml');
  const res = parseSkaffold(await readFile(file, 'utf8'), 'broken/unknown-field.yaml');
  assert.deepEqual(res.configs, []);
  assert.deepEqual(res.errors.map(formatProblem), ['broken/unknown-field.yaml:8:9: build.artifacts[0].docker.dockerFile: unknown key']);
});

void test('a patch whose path does not exist is an error naming the profile and the path, at its line', async () => {
  const res = await loadSkaffold({
    root: path.join(FIXTURES, 'broken'),
    source: { path: 'patch-path.yaml', profiles: ['staging'], module: [] },
    activation,
  });
  assert.equal(res.plan, undefined);
  assert.deepEqual(res.errors.map(formatProblem), [
    'patch-path.yaml:10:15: profiles[0].patches[0].path: profile staging: patch replace: path /build/artifacts/1/docker/dockerfile does not exist',
  ]);
});

void test('fields of a newer version are errors in an older file; unknown versions and profiles are named', () => {
  // metadata is older than v2beta10 (v1beta13 to v1beta14); requires came with v2beta11
  const res = parseSkaffold('apiVersion: skaffold/v2beta10\nkind: Config\nmetadata:\n  name: x\nrequires:\n  - path: ./base\n', 'old.yaml');
  assert.deepEqual(res.errors.map(formatProblem), ['old.yaml:5:1: requires: unknown key in skaffold/v2beta10 (added in skaffold/v2beta11)']);
  const v1 = parseSkaffold('apiVersion: skaffold/v2beta29\nkind: Config\nmanifests:\n  rawYaml: [a.yaml]\n', 'old.yaml');
  assert.deepEqual(v1.errors.map(formatProblem), ['old.yaml:3:1: manifests: unknown key']);
  const unknown = parseSkaffold('apiVersion: skaffold/v9\nkind: Config\n', 'x.yaml');
  assert.deepEqual(unknown.errors.map(formatProblem), ['x.yaml:1:13: apiVersion: unsupported apiVersion "skaffold/v9": Slipway reads skaffold/v1beta11 to skaffold/v4beta14']);
});

void test('v2 kustomize (path, then paths) becomes manifests.kustomize applied by kubectl, with its flags', () => {
  const res = parseSkaffold(
    'apiVersion: skaffold/v2alpha1\nkind: Config\ndeploy:\n  kustomize:\n    path: overlays/prod\n    flags:\n      apply: [--force-conflicts]\n',
    'k.yaml',
  );
  assert.deepEqual(res.errors, []);
  const c = res.configs[0]!.config;
  assert.equal(c.apiVersion, 'skaffold/v4beta14');
  assert.deepEqual(c.manifests, { kustomize: { paths: ['overlays/prod'] } });
  assert.deepEqual(c.deploy, { kubectl: { flags: { apply: ['--force-conflicts'] } } });
});

void test('profile sections overlay field by field; tagPolicy is replaced whole; patches run after', async () => {
  const text = `apiVersion: skaffold/v4beta14
kind: Config
build:
  tagPolicy: { gitCommit: { variant: CommitSha } }
  local: { push: true, concurrency: 2 }
  artifacts:
    - image: a
    - image: b
profiles:
  - name: p
    activation: [{ command: run }, { env: NEVER=1 }]
    build:
      tagPolicy: { envTemplate: { template: "{{.BUILD_NUMBER}}-kiamol" } }
      local: { push: false }
    patches:
      - op: add
        path: /build/artifacts/-
        value: { image: c, context: c }
      - op: remove
        path: /build/artifacts/0
`;
  const res = await loadSkaffold({ root: '/nonexistent', source: { path: 'skaffold.yaml', profiles: [], module: [] }, activation, readFile: () => Promise.resolve(text) });
  assert.deepEqual(res.errors, []);
  const plan = res.plan!;
  assert.deepEqual(plan.profiles, ['p']);
  assert.deepEqual(plan.build.tagPolicy, { kind: 'template', template: '{{.BUILD_NUMBER}}-kiamol' });
  assert.equal(plan.build.push, false);
  assert.equal(plan.build.concurrency, 2);
  assert.deepEqual(plan.build.artifacts.map((a) => a.image), ['b', 'c']);
});

void test('tolerateFailuresUntilDeadline alone (no deadline, no statusCheck) reaches the plan', async () => {
  const text = `apiVersion: skaffold/v4beta14
kind: Config
manifests: { rawYaml: [k8s/*.yaml] }
deploy:
  kubectl: {}
  tolerateFailuresUntilDeadline: true
`;
  const res = await loadSkaffold({ root: '/nonexistent', source: { path: 'skaffold.yaml', profiles: [], module: [] }, activation, readFile: () => Promise.resolve(text) });
  assert.deepEqual(res.errors, []);
  assert.deepEqual(res.plan!.statusCheck, { enabled: true, deadlineSeconds: 600, tolerateFailuresUntilDeadline: true });
});
