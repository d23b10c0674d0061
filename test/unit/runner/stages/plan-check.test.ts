// The build stage's one check of what this runner can run (checkPlan, runner/stages/plan.ts): a
// plan as it runs (profiles applied, modules selected) with a remote required config, an artifact
// of another builder or needing build secrets, a Dockerfile artifact for several platforms, or a
// deployer other than kubectl/helm, manifests it cannot render (kpt, remote manifests) or structure
// tests without container-structure-test is refused as a whole, every problem named with its file:line
// (an artifact a profile brings at the profile's line);
// a profile or a module selection that leaves such things out runs. The files are written here
// line by line, so the expected lines come from the writer, not from the code under test.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, formatProblem } from '../../../../core/errors.ts';
import { loadSkaffold } from '../../../../pipelines/skaffold/load.ts';
import type { SkaffoldSource } from '../../../../pipelines/skaffold/load.ts';
import { stepProgram, type Sandbox } from '../../../../runner/sandbox.ts';
import { checkPlan, planProblems, runnerTools } from '../../../../runner/stages/plan.ts';
import type { BuildScope } from '../../../../runner/stages/types.ts';

/** The plan of a skaffold.yaml, its warnings, and what checkPlan refuses in it (by message, on a runner without tools). */
async function planOf(text: string, source: Partial<SkaffoldSource> = {}) {
  const res = await loadSkaffold({
    root: '/repo',
    source: { path: 'skaffold.yaml', profiles: [], module: [], ...source },
    activation: { env: {}, kubeContext: undefined, command: 'run' },
    readFile: (f) => (f === '/repo/skaffold.yaml' ? Promise.resolve(text) : Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }))),
  });
  assert.deepEqual(res.errors.map(formatProblem), []);
  return { plan: res.plan!, warnings: res.warnings.map(formatProblem), problems: planProblems(res.plan!, {}).map((p) => p.message) };
}

/** A skaffold.yaml of one v4beta14 config: its apiVersion and kind (lines 1-2), then these lines from line 3. */
const config = (...lines: string[]) => ['apiVersion: skaffold/v4beta14', 'kind: Config', ...lines, ''].join('\n');
/** A build of one artifact, web (lines 3-5 of a config). */
const buildWeb = ['build:', '  artifacts:', '    - image: web'];

const everything = config(
  'requires:',
  '  - git:', // 4
  '      repo: https://example.com/shared.git',
  '  - googleCloudStorage:', // 6
  '      source: gs://bucket/dir',
  'build:',
  '  artifacts:',
  '    - image: web', // 10: runs
  '    - image: api', // 11
  '      jib: {}',
  '    - image: worker', // 13
  '      docker:',
  '        secrets: [{id: npmrc, src: .npmrc}]',
  '    - image: multi', // 16
  '      platforms: [linux/amd64, linux/arm64]',
  '    - image: kan', // 18
  '      kaniko: {}',
  'manifests:',
  '  rawYaml: [k8s/*.yaml]',
  'deploy:',
  '  kpt: {}', // 23
  '  cloudrun: {}', // 24
);

void test('every problem of the plan at once, each naming its artifact, deployer or requires entry and file:line', async () => {
  const { plan, problems } = await planOf(everything);
  assert.deepEqual(problems, [
    'requires (skaffold.yaml:4): remote configs (git) are not supported by this runner: only configs required by a local path are read, and a build needs every config its file requires',
    'requires (skaffold.yaml:6): remote configs (googleCloudStorage) are not supported by this runner: only configs required by a local path are read, and a build needs every config its file requires',
    'artifact api (skaffold.yaml:11): the jib builder is not supported by this runner',
    'artifact worker (skaffold.yaml:13): docker.secrets: build secrets are not supported by this runner (not passed to buildah)',
    'artifact multi (skaffold.yaml:16): building for several platforms (linux/amd64, linux/arm64) is not supported by this runner: name one platform, or use a custom build that makes the manifest list ($PLATFORMS)',
    'artifact kan (skaffold.yaml:18): the kaniko builder is not supported by this runner',
    'the kpt deployer (skaffold.yaml:23) is not supported by this runner',
    'the cloudrun deployer (skaffold.yaml:24) is not supported by this runner',
  ]);
  const err = (() => {
    try {
      checkPlan(plan, {});
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof ConfigError);
  assert.equal(err.problems.length, 8);
  assert.match(err.message, /^this build needs what this runner does not support \(nothing was built\):\n {2}requires \(skaffold\.yaml:4\)/);
  assert.match(err.message, /\n {2}artifact api \(skaffold\.yaml:11\): the jib builder/);
});

void test('the file is still valid: what the runner cannot do is a warning naming its path, saying the build fails before anything is built', async () => {
  const { warnings } = await planOf(everything);
  assert.deepEqual(warnings, [
    'skaffold.yaml:4:5: requires[0].git: remote (git) configs are not supported by this runner, only a local `path`: a build of this config fails before anything is built',
    'skaffold.yaml:6:5: requires[1].googleCloudStorage: remote (GCS) configs are not supported by this runner, only a local `path`: a build of this config fails before anything is built',
    'skaffold.yaml:12:7: build.artifacts[1].jib: the jib builder is not supported by this runner: a build that needs it fails before anything is built',
    'skaffold.yaml:15:9: build.artifacts[2].docker.secrets: build secrets are not passed to the builder: a build that needs it fails before anything is built',
    'skaffold.yaml:19:7: build.artifacts[4].kaniko: the kaniko builder is not supported by this runner: a build that needs it fails before anything is built',
    'skaffold.yaml:23:3: deploy.kpt: the kpt deployer is not supported by this runner: a build that needs it fails before anything is built',
    'skaffold.yaml:24:3: deploy.cloudrun: the Cloud Run deployer is not supported by this runner: a build that needs it fails before anything is built',
  ]);
});

void test('a profile that leaves the jib artifact and the kpt deployer out runs; without it the same file is refused', async () => {
  const text = config(
    ...buildWeb,
    '    - image: api', // 6
    '      jib: {}',
    'manifests:',
    '  rawYaml: [k8s/*.yaml]',
    'deploy:',
    '  kpt: {}', // 11
    'profiles:',
    '  - name: ci',
    '    build:',
    '      artifacts:',
    '        - image: web',
    '    patches:',
    '      - op: remove',
    '        path: /deploy/kpt',
  );
  const base = await planOf(text);
  assert.deepEqual(base.problems, ['artifact api (skaffold.yaml:6): the jib builder is not supported by this runner', 'the kpt deployer (skaffold.yaml:11) is not supported by this runner']);
  const ci = await planOf(text, { profiles: ['ci'] });
  assert.deepEqual(ci.plan.build.artifacts.map((a) => a.image), ['web']);
  assert.deepEqual(ci.plan.deploys.map((d) => d.kind), ['kubectl']);
  assert.deepEqual(ci.problems, []);
  checkPlan(ci.plan, {}); // does not throw
});

void test('a module selection that leaves out the config with a remote requires and a ko artifact runs', async () => {
  const text = config(
    'metadata:',
    '  name: app',
    'build:',
    '  artifacts:',
    '    - image: web',
    'manifests:',
    '  rawYaml: [k8s/*.yaml]',
    '---',
    'apiVersion: skaffold/v4beta14', // 11
    'kind: Config',
    'metadata:',
    '  name: tools',
    'requires:',
    '  - git: {repo: https://example.com/shared.git}', // 16
    'build:',
    '  artifacts:',
    '    - image: tool', // 19
    '      ko: {}',
  );
  const all = await planOf(text);
  assert.deepEqual(
    all.problems.map((m) => m.replace(/: only configs required.*/, '')),
    ['requires (skaffold.yaml:16): remote configs (git) are not supported by this runner', 'artifact tool (skaffold.yaml:19): the ko builder is not supported by this runner'],
  );
  const app = await planOf(text, { module: ['app'] });
  assert.deepEqual(app.plan.build.artifacts.map((a) => a.image), ['web']);
  assert.deepEqual(app.plan.remoteConfigs, []);
  assert.deepEqual(app.problems, []);
});

void test('manifests the runner cannot render (kpt, remote manifests) refuse the build, each named with its file:line, instead of deploying the rest without them', async () => {
  const text = config(
    ...buildWeb,
    'manifests:',
    '  rawYaml: [k8s/*.yaml]',
    '  kpt: [kpt-pkg]', // 8
    '  remoteManifests:', // 9
    '    - manifest: deployment/shared',
    'deploy:',
    '  kubectl:',
    '    remoteManifests: [configmap/platform]', // 13
    'profiles:',
    '  - name: local-only',
    '    patches:',
    '      - op: remove',
    '        path: /manifests/kpt',
    '      - op: remove',
    '        path: /manifests/remoteManifests',
    '      - op: replace',
    '        path: /deploy/kubectl/remoteManifests',
    '        value: []',
  );
  const { plan, warnings, problems } = await planOf(text);
  assert.deepEqual(problems, [
    'manifests.kpt (skaffold.yaml:8): kpt manifests are not supported by this runner (they would not be deployed)',
    'manifests.remoteManifests (skaffold.yaml:9): remote manifests are not supported by this runner (they would not be deployed)',
    'deploy.kubectl.remoteManifests (skaffold.yaml:13): remote manifests are not supported by this runner (they would not be deployed)',
  ]);
  assert.throws(() => checkPlan(plan, {}), (err: unknown) => err instanceof ConfigError && err.problems.length === 3 && /nothing was built/.test(err.message));
  assert.deepEqual(
    warnings.filter((w) => /remote manifests|kpt/.test(w)),
    [
      'skaffold.yaml:8:3: manifests.kpt: kpt manifests are not supported by this runner: a build that needs them fails before anything is built',
      'skaffold.yaml:9:3: manifests.remoteManifests: remote manifests are not supported by this runner: a build that needs them fails before anything is built',
      'skaffold.yaml:13:5: deploy.kubectl.remoteManifests: remote manifests are not supported by this runner: a build that needs them fails before anything is built',
    ],
  );
  // without them (an empty list is nothing to deploy) the rawYaml deploy runs
  const local = await planOf(text, { profiles: ['local-only'] });
  assert.deepEqual(local.problems, []);
  assert.deepEqual(local.plan.deploys.map((d) => d.kind), ['kubectl']);
});

void test("an artifact a profile brings (a section override, a patch's value) is named at the profile's line, not at build.artifacts[i] of the config", async () => {
  const text = config(
    ...buildWeb, // web at 5
    '    - image: api', // 6
    'manifests:',
    '  rawYaml: [k8s/*.yaml]',
    'profiles:',
    '  - name: jvm',
    '    build:',
    '      artifacts:',
    '        - image: web', // 13
    '        - image: api', // 14
    '          jib: {}',
    '  - name: extra',
    '    patches:',
    '      - op: add',
    '        path: /build/artifacts/-',
    '        value:', // 20
    '          image: worker',
    '          ko: {}',
    '      - op: add',
    '        path: /build/artifacts/0',
    '        value: {image: tool, kaniko: {}}', // 25
  );
  const { plan, problems } = await planOf(text, { profiles: ['jvm', 'extra'] });
  assert.deepEqual(plan.build.artifacts.map((a) => `${a.image} ${a.where}`), ['tool skaffold.yaml:25', 'web skaffold.yaml:13', 'api skaffold.yaml:14', 'worker skaffold.yaml:20']);
  assert.deepEqual(problems, [
    'artifact tool (skaffold.yaml:25): the kaniko builder is not supported by this runner',
    'artifact api (skaffold.yaml:14): the jib builder is not supported by this runner',
    'artifact worker (skaffold.yaml:20): the ko builder is not supported by this runner',
  ]);
  // the config's own artifacts keep their lines; a patch that only changes one of them leaves it there
  const base = await planOf(text);
  assert.deepEqual(base.plan.build.artifacts.map((a) => `${a.image} ${a.where}`), ['web skaffold.yaml:5', 'api skaffold.yaml:6']);
  const again = await planOf(text, { profiles: ['extra'] });
  assert.deepEqual(again.plan.build.artifacts.map((a) => `${a.image} ${a.where}`), ['tool skaffold.yaml:25', 'web skaffold.yaml:5', 'api skaffold.yaml:6', 'worker skaffold.yaml:20']);
});

void test('structureTests on a runner without container-structure-test refuse the build, naming the test and its file:line; with it they run', async () => {
  const text = config(
    ...buildWeb,
    'test:',
    '  - image: web',
    '    structureTests: [./structure/*.yaml]', // 8
    'manifests:',
    '  rawYaml: [k8s/*.yaml]',
  );
  const { plan, problems } = await planOf(text);
  assert.deepEqual(problems, ["web structureTests (skaffold.yaml:8): structureTests need container-structure-test, which is not installed on this runner (not on the steps' PATH)"]);
  assert.throws(() => checkPlan(plan, {}), /nothing was built/);
  assert.deepEqual(planProblems(plan, { structureTest: '/usr/local/bin/container-structure-test' }), []);
  // the checked plan's structure test carries the program the test stage runs; the rest is the plan's
  const checked = checkPlan(plan, { structureTest: '/usr/local/bin/container-structure-test' });
  assert.deepEqual(
    checked.tests.map((t) => (t.kind === 'structure' ? `${t.name} ${t.program} ${t.files.join(',')}` : t.name)),
    ['web structureTests /usr/local/bin/container-structure-test structure/*.yaml'],
  );
  assert.deepEqual(checked.build.artifacts.map((a) => `${a.image} ${a.builder.kind}`), ['web dockerfile']);
  assert.deepEqual(checked.deploys.map((d) => d.kind), ['kubectl']);
});

void test("container-structure-test is looked up on the PATH the sandbox gives steps, where the test stage runs it: the first executable file of that name", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-tools-'));
  try {
    const [a, b, c] = ['a', 'b', 'c'].map((d) => path.join(dir, d)) as [string, string, string];
    for (const d of [a, b, c]) await mkdir(d);
    await writeFile(path.join(a, 'container-structure-test'), 'not executable'); // skipped
    await mkdir(path.join(b, 'container-structure-test')); // a folder: skipped
    await writeFile(path.join(c, 'container-structure-test'), '#!/bin/sh\n');
    await chmod(path.join(c, 'container-structure-test'), 0o755);
    const sandbox = (p: string): Sandbox => ({ kind: 'none', stepPath: () => p, command: () => assert.fail('nothing runs') });
    assert.equal(await stepProgram(sandbox(`${a}:${b}:${c}`), 'container-structure-test'), path.join(c, 'container-structure-test'));
    assert.equal(await stepProgram(sandbox(`${a}:${b}`), 'container-structure-test'), undefined);
    assert.equal(await stepProgram(sandbox(`relative:${a}`), 'container-structure-test'), undefined);

    const { plan } = await planOf(config('test:', '  - image: web', '    structureTests: [s.yaml]'));
    // the runner's scope: only its sandbox is read
    const scope = (p: string) => ({ deps: { sandbox: sandbox(p) } }) as unknown as BuildScope;
    assert.deepEqual(await runnerTools(scope(`${a}:${c}`), plan), { structureTest: path.join(c, 'container-structure-test') });
    assert.deepEqual(await runnerTools(scope(a), plan), {});
    // a plan without structure tests needs nothing (and looks nothing up)
    const none = await planOf(config(...buildWeb));
    assert.deepEqual(await runnerTools(scope(`${a}:${c}`), none.plan), {});
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
