// Every row of the per-version field table, tried as Skaffold would read it: a small skaffold.yaml
// using the field in the last version before it exists is an unknown-key error at the key's
// file:line:column; the same text in the first version that has it is accepted, with a warning
// naming the field's path when Slipway does not run it (and none when it does). Fields that were
// removed are tried the other way round. The texts are written here line by line, so the expected
// line and column come from the writer, not from the parser under test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatProblem } from '../../../../core/errors.ts';
import { parseSkaffold } from '../../../../pipelines/skaffold/parse.ts';
import { FIELD_VERSIONS, VERSIONS, isV1Layout } from '../../../../pipelines/skaffold/versions.ts';

/** What a list element needs besides the field under test. */
const ELEMENT: Record<string, string> = { artifacts: 'image: app', test: 'image: app', releases: 'name: app', profiles: 'name: p', components: 'name: c', requires: 'configs: [other]' };
/** What a mapping needs besides the field under test. */
const MAPPING: Record<string, string> = { customTemplate: 'template: "{{.GIT}}"' };

/** A value of the right shape for the field a path ends in. */
const VALUE: Record<string, string> = {
  portForward: '[{resourceType: service, resourceName: web, port: 8080}]',
  metadata: '{name: app}',
  labels: '{team: web}',
  annotations: '{owner: web}',
  requires: '[{path: other}]',
  googleCloudStorage: '{source: "gs://bucket/dir"}',
  googleCloudBuildRepoV2: '{projectID: p, region: r, connection: c, repo: app}',
  resourceSelector: '{allow: []}',
  verify: '[{name: smoke, container: {name: c, image: busybox}}]',
  customActions: '[{name: a, containers: [{name: c, image: busybox}]}]',
  requiresAllActivations: 'true',
  hooks: '{before: []}',
  platforms: '[linux/amd64]',
  runtimeType: 'go',
  jib: '{}',
  jibMaven: '{}',
  jibGradle: '{}',
  buildpacks: '{builder: "paketobuildpacks/builder:base"}',
  ko: '{}',
  ssh: 'default',
  secret: '{id: npmrc}',
  squash: 'true',
  addHost: '["db:10.0.0.1"]',
  cliFlags: '[--quiet]',
  secrets: '[{id: npmrc, src: .npmrc}]',
  pullParent: 'true',
  cacheTo: '["type=registry,ref=registry.example.com/app:cache,mode=max"]',
  concurrency: '2',
  tryImportMissing: 'true',
  customTemplate: '{template: "{{.GIT}}"}',
  inputDigest: '{}',
  prefix: 'v-',
  ignoreChanges: 'true',
  custom: '[{command: "true"}]',
  context: '.',
  structureTestsArgs: '[-q]',
  statusCheckDeadlineSeconds: '60',
  kubeContext: 'kind-dev',
  logs: '{prefix: none}',
  statusCheck: 'true',
  tolerateFailuresUntilDeadline: 'true',
  kpt: '{dir: .}',
  docker: '{images: [app]}',
  cloudrun: '{region: europe-west1}',
  defaultNamespace: 'web',
  disableValidation: 'true',
  path: '.',
  paths: '[.]',
  buildArgs: '[--load-restrictor=LoadRestrictionsNone]',
  values: '{image: app}',
  artifactOverrides: '{image: app}',
  remote: 'true',
  setFiles: '{config: config.txt}',
  createNamespace: 'true',
  remoteChart: 'bitnami/redis',
  repo: 'https://charts.example.com',
  upgradeOnChange: 'true',
  skipTests: 'true',
  dependsOn: '[db]',
  remoteManifests: '[{manifest: "deployment/web"}]',
};

/** Where the same key takes another shape. */
const VALUE_AT: Record<string, string> = { 'build.artifacts[*].requires': '[{image: base}]' };

/** Fields Slipway knows and does not run: accepted with a warning naming where they are. */
const WARNED = new Set([
  'portForward',
  'metadata.labels',
  'metadata.annotations',
  'requires[*].googleCloudStorage',
  'requires[*].googleCloudBuildRepoV2',
  'resourceSelector',
  'verify',
  'customActions',
  'build.hooks',
  'build.artifacts[*].hooks',
  'build.artifacts[*].runtimeType',
  'build.artifacts[*].jib',
  'build.artifacts[*].jibMaven',
  'build.artifacts[*].jibGradle',
  'build.artifacts[*].buildpacks',
  'build.artifacts[*].ko',
  'build.artifacts[*].docker.ssh',
  'build.artifacts[*].docker.secret',
  'build.artifacts[*].docker.squash',
  'build.artifacts[*].docker.addHost',
  'build.artifacts[*].docker.cliFlags',
  'build.artifacts[*].docker.secrets',
  'build.artifacts[*].docker.pullParent',
  'build.artifacts[*].docker.cacheTo',
  'build.local.tryImportMissing',
  'deploy.kubeContext',
  'deploy.logs',
  'deploy.kpt',
  'deploy.docker',
  'deploy.cloudrun',
  'deploy.kubectl.defaultNamespace',
  'deploy.kubectl.hooks',
  'deploy.kustomize.defaultNamespace',
  'deploy.kustomize.hooks',
  'deploy.helm.hooks',
  'deploy.helm.concurrency',
  'deploy.helm.releases[*].remote',
  'deploy.helm.releases[*].remoteChart',
  'deploy.helm.releases[*].repo',
  'deploy.helm.releases[*].upgradeOnChange',
  'deploy.helm.releases[*].skipTests',
  'deploy.helm.releases[*].dependsOn',
  'manifests.remoteManifests',
  'manifests.helm.releases[*].skipTests',
  'manifests.helm.releases[*].dependsOn',
]);

interface Written {
  text: string;
  line: number;
  column: number;
  /** The field's concrete path (`build.artifacts[0].docker.secrets`). */
  at: string;
}

/** A document of `apiVersion` that uses the field `pattern` and nothing else of note. */
function write(apiVersion: string, pattern: string): Written {
  const lines = [`apiVersion: ${apiVersion}`, 'kind: Config'];
  const segments = pattern.split('.');
  let indent = '';
  const at: string[] = [];
  let line = 0;
  let column = 0;
  segments.forEach((seg, i) => {
    const list = seg.endsWith('[*]');
    const key = list ? seg.slice(0, -3) : seg;
    if (i === segments.length - 1) {
      const value = VALUE_AT[pattern] ?? VALUE[key];
      assert.ok(value, `no value for ${key}`);
      lines.push(`${indent}${key}: ${value}`);
      line = lines.length;
      column = indent.length + 1;
      at.push(key);
      return;
    }
    lines.push(`${indent}${key}:`);
    if (list) {
      const first = ELEMENT[key];
      assert.ok(first, `no element for ${key}`);
      lines.push(`${indent}  - ${first}`);
      indent += '    ';
      at.push(`${key}[0]`);
    } else {
      indent += '  ';
      if (MAPPING[key]) lines.push(`${indent}${MAPPING[key]}`);
      at.push(key);
    }
  });
  return { text: `${lines.join('\n')}\n`, line, column, at: at.join('.') };
}

const before = (v: string) => VERSIONS[VERSIONS.indexOf(v) - 1]!;
/** Fields of one layout only (before v3alpha1: `deploy.kustomize`, helm `values`/`artifactOverrides`/`remote`; from it on: `manifests`). */
function layoutOf(p: string): 'v1' | 'v3' | 'any' {
  if (p.startsWith('manifests.')) return 'v3';
  if (p.startsWith('deploy.kustomize.') || /releases\[\*\]\.(values|artifactOverrides|remote)$/.test(p)) return 'v1';
  return 'any';
}

function accepted(apiVersion: string, pattern: string): void {
  const w = write(apiVersion, pattern);
  const res = parseSkaffold(w.text, 'skaffold.yaml');
  assert.deepEqual(res.errors.map(formatProblem), [], `${pattern} in ${apiVersion}:\n${w.text}`);
  assert.equal(res.configs.length, 1);
  const warned = res.warnings.map((p) => p.path);
  if (WARNED.has(pattern)) assert.deepEqual(warned, [w.at], `${pattern} in ${apiVersion} is warned about at its path`);
  else assert.deepEqual(warned, [], `${pattern} in ${apiVersion} is run: no warning`);
  for (const p of res.warnings) assert.equal(`${p.file}:${p.line}:${p.column}`, `skaffold.yaml:${w.line}:${w.column}`);
}

function refused(apiVersion: string, pattern: string, because: RegExp): void {
  const w = write(apiVersion, pattern);
  const res = parseSkaffold(w.text, 'skaffold.yaml');
  assert.deepEqual(res.configs, []);
  const shown = res.errors.map(formatProblem);
  assert.equal(shown.length, 1, `${pattern} in ${apiVersion}: ${shown.join('; ')}`);
  assert.match(shown[0]!, new RegExp(`^skaffold\\.yaml:${w.line}:${w.column}: ${w.at.replace(/[.[\]]/g, '\\$&')}: unknown key in ${apiVersion.replace('/', '\\/')} \\(`));
  assert.match(shown[0]!, because);
}

for (const f of FIELD_VERSIONS) {
  const layout = layoutOf(f.path);
  if (f.since) {
    const prev = before(f.since);
    const usable = layout === 'any' || (layout === 'v1' ? isV1Layout(prev) && isV1Layout(f.since) : !isV1Layout(prev));
    if (!usable) continue;
    void test(`${f.path}: unknown in ${prev} at its file:line:column, accepted in ${f.since}${WARNED.has(f.path) ? ' with a warning naming its path' : ''}`, () => {
      refused(prev, f.path, f.exact ? new RegExp(`added in ${f.since!.replace('/', '\\/')}\\)$`) : new RegExp(`${f.seen!.replace('/', '\\/')} has it\\)$`));
      accepted(f.since!, f.path);
      if (f.seen) accepted(f.seen, f.path);
    });
  }
  if (f.until) {
    const last = before(f.until);
    void test(`${f.path}: accepted in ${last}, unknown in ${f.until}`, () => {
      accepted(last, f.path);
      refused(f.until!, f.path, f.exact ? new RegExp(`removed in ${f.until!.replace('/', '\\/')}\\)$`) : new RegExp(`${f.gone!.replace('/', '\\/')} no longer has it\\)$`));
    });
  }
}

void test('every row is tried: each field of the table in some version on each side of its bound', () => {
  const tried = FIELD_VERSIONS.filter((f) => {
    const layout = layoutOf(f.path);
    if (!f.since) return true;
    const prev = before(f.since);
    return layout === 'any' || (layout === 'v1' ? isV1Layout(prev) : !isV1Layout(prev));
  });
  assert.deepEqual(
    FIELD_VERSIONS.filter((f) => !tried.includes(f)).map((f) => f.path),
    [],
  );
});

void test('skaffold/v3beta1 is no Skaffold version (v3alpha1 upgrades to v3): an unsupported apiVersion at its line', () => {
  const res = parseSkaffold('apiVersion: skaffold/v3beta1\nkind: Config\n', 'skaffold.yaml');
  assert.deepEqual(res.errors.map(formatProblem), ['skaffold.yaml:1:13: apiVersion: unsupported apiVersion "skaffold/v3beta1": Slipway reads skaffold/v1beta11 to skaffold/v4beta14']);
});

void test('build.kaniko (an in-cluster build of v1alpha schemas) is unknown in every version Slipway reads', () => {
  for (const v of ['skaffold/v1beta11', 'skaffold/v2beta29', 'skaffold/v4beta14']) {
    const res = parseSkaffold(`apiVersion: ${v}\nkind: Config\nbuild:\n  kaniko: {}\n`, 'skaffold.yaml');
    assert.deepEqual(res.errors.map(formatProblem), ['skaffold.yaml:4:3: build.kaniko: unknown key'], v);
  }
});

void test('deploy.transformableAllowList and kustomize hydrationDir are in no version (yaml:"-" / no such field): unknown keys at their place', () => {
  const cases: [version: string, text: string, shown: string][] = [
    ['skaffold/v2beta29', 'deploy:\n  transformableAllowList: []\n', 'skaffold.yaml:4:3: deploy.transformableAllowList: unknown key'],
    ['skaffold/v3alpha1', 'deploy:\n  transformableAllowList: []\n', 'skaffold.yaml:4:3: deploy.transformableAllowList: unknown key'],
    ['skaffold/v4beta1', 'deploy:\n  transformableAllowList: []\n', 'skaffold.yaml:4:3: deploy.transformableAllowList: unknown key'],
    ['skaffold/v4beta14', 'deploy:\n  transformableAllowList: [{type: Foo.example.com, image: [.spec.image]}]\n', 'skaffold.yaml:4:3: deploy.transformableAllowList: unknown key'],
    ['skaffold/v2beta29', 'deploy:\n  kustomize:\n    paths: [.]\n    hydrationDir: out\n', 'skaffold.yaml:6:5: deploy.kustomize.hydrationDir: unknown key'],
    ['skaffold/v3alpha1', 'manifests:\n  kustomize:\n    paths: [.]\n    hydrationDir: out\n', 'skaffold.yaml:6:5: manifests.kustomize.hydrationDir: unknown key'],
    ['skaffold/v4beta14', 'manifests:\n  kustomize:\n    paths: [.]\n    hydrationDir: out\n', 'skaffold.yaml:6:5: manifests.kustomize.hydrationDir: unknown key'],
  ];
  for (const [v, body, shown] of cases) {
    const res = parseSkaffold(`apiVersion: ${v}\nkind: Config\n${body}`, 'skaffold.yaml');
    assert.deepEqual(res.errors.map(formatProblem), [shown], v);
    assert.deepEqual(res.configs, [], v);
  }
  // in a profile too
  const profiled = parseSkaffold('apiVersion: skaffold/v4beta14\nkind: Config\nprofiles:\n  - name: p\n    deploy:\n      transformableAllowList: []\n', 'skaffold.yaml');
  assert.deepEqual(profiled.errors.map(formatProblem), ['skaffold.yaml:6:7: profiles[0].deploy.transformableAllowList: unknown key']);
});
