// What this runner cannot run fails a skaffold build before anything is built (checkPlan,
// runner/stages/plan.ts), through the real runner, buildah and registry: a plan with a Dockerfile
// artifact Slipway builds plus a jib artifact and one needing build secrets pushes nothing (the
// registry has no such repository) and names both with their file:line; a file that requires a
// config from git fails the same way, naming the requires entry; so do remote manifests (the rest
// is not deployed without them) and structureTests on this runner, which has no
// container-structure-test (nothing is pushed before the test stage would find that out). The same file with a profile
// that leaves the unsupported artifacts out builds and pushes (so the registry query does see
// pushes).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Pipeline } from '../../../pipelines/schema.ts';
import { buildahArgv } from '../../helpers/buildah-argv.ts';
import { assertNotPushed, tagsOf } from '../../helpers/registry-tags.ts';
import { testenv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

let h: RunnerHarness;
before(async () => {
  h = await runnerHarness();
});
after(async () => {
  await h.cleanup();
});

const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Runs a build of `pipeline`, which must be refused before anything ran: failed on checkPlan's
 * refusal, no buildah bud or push and nothing tested or deployed meanwhile, no image on its record
 * and none of `images` in the registry. Returns its log.
 */
async function refused(pipeline: Pipeline, images: string[]): Promise<string> {
  const before = h.calls.length;
  const build = await h.waitFinal((await h.enqueue(pipeline)).id, 120_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'failed', log);
  assert.match(log, /this build needs what this runner does not support \(nothing was built\)/);
  const calls = h.calls.slice(before);
  assert.deepEqual(calls.filter((c) => buildahArgv(c.argv)?.includes('bud') || buildahArgv(c.argv)?.includes('push')), [], 'no buildah bud or push ran');
  assert.deepEqual(calls.filter((c) => /(^|\/)(kubectl|helm|container-structure-test)$/.test(c.argv[0] ?? '')), [], 'nothing tested or deployed');
  assert.deepEqual(build.images, []);
  await assertNotPushed(...images);
  return log;
}

void test('a plan with a supported and unsupported artifacts pushes nothing and names each unsupported one with its file:line; a profile without them builds', async () => {
  const web = `${testenv().registry}/slipway-skaffold-test/${h.name}-web`;
  const api = `${testenv().registry}/slipway-skaffold-test/${h.name}-api`;
  const worker = `${testenv().registry}/slipway-skaffold-test/${h.name}-worker`;
  const skaffold = [
    'apiVersion: skaffold/v4beta14',
    'kind: Config',
    'build:',
    '  tagPolicy: { envTemplate: { template: "u{{.BUILD_NUMBER}}" } }',
    '  artifacts:',
    `    - image: ${web}`, // 6
    '      context: web',
    `      docker: { buildArgs: { BASE: ${testenv().baseImage} } }`,
    `    - image: ${api}`, // 9
    '      jib: {}',
    `    - image: ${worker}`, // 11
    '      context: web',
    '      docker:',
    `        buildArgs: { BASE: ${testenv().baseImage} }`,
    '        secrets: [{id: npmrc, src: .npmrc}]',
    'profiles:',
    '  - name: web-only',
    '    patches:',
    '      - op: remove',
    '        path: /build/artifacts/2',
    '      - op: remove',
    '        path: /build/artifacts/1',
    '',
  ].join('\n');
  await h.repo.commit({ 'skaffold.yaml': skaffold, 'web/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo web > /web.txt\n' }, 'unsupported artifacts');
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  const webOnly = { ...pipeline, metadata: { ...pipeline.metadata, name: `${pipeline.metadata.name}-w` }, skaffold: { ...pipeline.skaffold!, profiles: ['web-only'] } };
  await h.runner([pipeline, webOnly]);

  const log = await refused(pipeline, [web, api, worker]);
  assert.match(log, new RegExp(`artifact ${quote(api)} \\(skaffold\\.yaml:9\\): the jib builder is not supported by this runner`));
  assert.match(log, new RegExp(`artifact ${quote(worker)} \\(skaffold\\.yaml:11\\): docker\\.secrets: build secrets are not supported by this runner`));
  assert.doesNotMatch(log, new RegExp(`artifact ${quote(web)} `), 'the supported artifact is not named');
  // and the file said so before: warnings naming the paths
  assert.match(log, /warning: skaffold\.yaml:10:7: build\.artifacts\[1\]\.jib: the jib builder is not supported by this runner: a build that needs it fails before anything is built/);

  // the profile leaves the jib and secrets artifacts out: the same file builds and pushes
  const ok = await h.waitFinal((await h.enqueue(webOnly)).id, 240_000);
  const okLog = await h.logs.text(ok.id);
  assert.equal(ok.status, 'succeeded', okLog);
  assert.deepEqual(ok.images.map((i) => i.name), [web]);
  assert.ok((await tagsOf(web)).includes(`u${ok.number}`), 'pushed under its tag (and the build cache\'s input tag)');
  await assertNotPushed(api);
});

void test('a file that requires a config from git fails before anything is built, naming the requires entry', async () => {
  const web = `${testenv().registry}/slipway-skaffold-test/${h.name}-remote`;
  const skaffold = [
    'apiVersion: skaffold/v4beta14',
    'kind: Config',
    'requires:',
    '  - path: shared', // 4: read
    '  - git:', // 5
    '      repo: https://git.example.com/platform/shared-config.git',
    '      path: skaffold.yaml',
    'build:',
    '  tagPolicy: { envTemplate: { template: "r{{.BUILD_NUMBER}}" } }',
    '  artifacts:',
    `    - image: ${web}`,
    '      context: web',
    `      docker: { buildArgs: { BASE: ${testenv().baseImage} } }`,
    '',
  ].join('\n');
  const shared = ['apiVersion: skaffold/v4beta14', 'kind: Config', 'manifests:', '  rawYaml: [k8s/*.yaml]', ''].join('\n');
  await h.repo.commit(
    { 'skaffold.yaml': skaffold, 'shared/skaffold.yaml': shared, 'shared/k8s/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: shared }\ndata: { a: b }\n', 'web/Dockerfile': 'ARG BASE\nFROM ${BASE}\n' },
    'remote requires',
  );
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  await h.runner([pipeline]);
  const log = await refused(pipeline, [web]);
  assert.match(log, /requires \(skaffold\.yaml:5\): remote configs \(git\) are not supported by this runner: only configs required by a local path are read, and a build needs every config its file requires/);
});

void test('remote manifests, and structureTests without container-structure-test, fail before anything is built, pushed or deployed, naming their file:line', async () => {
  const web = `${testenv().registry}/slipway-skaffold-test/${h.name}-half`;
  const common = [
    'apiVersion: skaffold/v4beta14',
    'kind: Config',
    'build:',
    '  tagPolicy: { envTemplate: { template: "h{{.BUILD_NUMBER}}" } }',
    '  artifacts:',
    `    - image: ${web}`,
    '      context: web',
    `      docker: { buildArgs: { BASE: ${testenv().baseImage} } }`,
  ];
  const files = {
    'structure.yaml': 'schemaVersion: 2.0.0\nfileExistenceTests: [{name: web, path: /web.txt, shouldExist: true}]\n',
    'k8s/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: half }\ndata: { a: b }\n',
    'web/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo web > /web.txt\n',
  };
  // the harness's pipeline name and file, which the runners of the tests above serve too
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  await h.runner([pipeline]);
  const cases = [
    {
      skaffold: [...common, 'manifests:', '  rawYaml: [k8s/*.yaml]', '  remoteManifests:', '    - manifest: configmap/platform', ''], // 11
      expected: /manifests\.remoteManifests \(skaffold\.yaml:11\): remote manifests are not supported by this runner \(they would not be deployed\)/,
    },
    {
      skaffold: [...common, 'test:', `  - image: ${web}`, '    structureTests: [structure.yaml]', 'manifests:', '  rawYaml: [k8s/*.yaml]', ''], // 11
      expected: new RegExp(`${quote(web)} structureTests \\(skaffold\\.yaml:11\\): structureTests need container-structure-test, which is not installed on this runner`),
    },
  ];
  for (const c of cases) {
    await h.repo.commit({ ...files, 'skaffold.yaml': c.skaffold.join('\n') }, 'half a build');
    assert.match(await refused(pipeline, [web]), c.expected);
  }
});
