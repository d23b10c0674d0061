import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSkaffold } from '../../../../pipelines/skaffold/load.ts';
import { parseSkaffold } from '../../../../pipelines/skaffold/parse.ts';

const activation = { env: {}, kubeContext: '', command: 'run' };

void test("v2beta29 helm artifactOverrides with the helm imageStrategy become IMAGE_REPO_x / IMAGE_TAG_x templates; fqn's become IMAGE_FULLY_QUALIFIED_x", () => {
  const res = parseSkaffold(
    `apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
      - name: a
        chartPath: charts/a
        artifactOverrides: { image: gcr.io/team/app-a }
        imageStrategy: { helm: { explicitRegistry: true } }
      - name: b
        chartPath: charts/b
        artifactOverrides: { worker.image: app-b }
        setValueTemplates: { other: "{{.FOO}}" }
`,
    'skaffold.yaml',
  );
  assert.deepEqual(res.errors, []);
  const releases = res.configs[0]!.config.deploy!.helm!.releases!;
  assert.deepEqual(releases[0]!.setValueTemplates, {
    'image.tag': '{{.IMAGE_TAG_gcr_io_team_app_a}}@{{.IMAGE_DIGEST_gcr_io_team_app_a}}',
    'image.repository': '{{.IMAGE_REPO_NO_DOMAIN_gcr_io_team_app_a}}',
    'image.registry': '{{.IMAGE_DOMAIN_gcr_io_team_app_a}}',
  });
  assert.deepEqual(releases[1]!.setValueTemplates, { other: '{{.FOO}}', 'worker.image': '{{.IMAGE_FULLY_QUALIFIED_app_b}}' });
  assert.equal('artifactOverrides' in releases[1]!, false);
});

void test("a v2 profile's patch of deploy.kubectl.manifests follows the move to manifests.rawYaml", async () => {
  const text = `apiVersion: skaffold/v2beta20
kind: Config
build:
  artifacts: [{ image: app }]
deploy:
  kubectl:
    manifests: [k8s/dev/*.yaml]
profiles:
  - name: prod
    patches:
      - op: replace
        path: /deploy/kubectl/manifests/0
        value: k8s/prod/*.yaml
`;
  const res = await loadSkaffold({ root: '/x', source: { path: 'skaffold.yaml', profiles: ['prod'], module: [] }, activation, readFile: () => Promise.resolve(text) });
  assert.deepEqual(res.errors, []);
  assert.deepEqual(res.plan!.deploys, [{ kind: 'kubectl', sources: [{ kind: 'rawYaml', globs: ['k8s/prod/*.yaml'] }], flags: { global: [], apply: [], delete: [] } }]);
});

void test('kubectl without manifests deploys k8s/*.yaml, as Skaffold defaulted; unknown profiles are named', async () => {
  const text = 'apiVersion: skaffold/v1beta11\nkind: Config\ndeploy:\n  kubectl: {}\n';
  const res = await loadSkaffold({ root: '/x', source: { path: 'skaffold.yaml', profiles: [], module: [] }, activation, readFile: () => Promise.resolve(text) });
  assert.deepEqual(res.plan!.deploys, [{ kind: 'kubectl', sources: [{ kind: 'rawYaml', globs: ['k8s/*.yaml'] }], flags: { global: [], apply: [], delete: [] } }]);
  const missing = await loadSkaffold({ root: '/x', source: { path: 'skaffold.yaml', profiles: ['nope'], module: [] }, activation, readFile: () => Promise.resolve(text) });
  assert.deepEqual(missing.errors.map((e) => e.message), ['profile nope is not defined in any skaffold config']);
});

void test("requires' activeProfiles activate a required config's profile when the parent's profile is active", async () => {
  const files: Record<string, string> = {
    '/r/skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
metadata: { name: root }
requires:
  - path: svc
    activeProfiles: [{ name: fast, activatedBy: [ci] }]
profiles:
  - name: ci
`,
    '/r/svc/skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
metadata: { name: svc }
build:
  artifacts: [{ image: svc }]
profiles:
  - name: fast
    build: { local: { push: false } }
`,
  };
  const read = (f: string) => (files[f] !== undefined ? Promise.resolve(files[f]) : Promise.reject(Object.assign(new Error('nope'), { code: 'ENOENT' })));
  const off = await loadSkaffold({ root: '/r', source: { path: 'skaffold.yaml', profiles: [], module: [] }, activation, readFile: read });
  assert.equal(off.plan!.build.push, true);
  const on = await loadSkaffold({ root: '/r', source: { path: 'skaffold.yaml', profiles: ['ci'], module: [] }, activation, readFile: read });
  assert.deepEqual(on.errors, []);
  assert.equal(on.plan!.build.push, false);
  assert.deepEqual(on.plan!.build.artifacts.map((a) => [a.image, a.context]), [['svc', 'svc']]);
});
