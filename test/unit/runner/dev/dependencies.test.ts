// What `slipway dev` watches of a skaffold.yaml's plan: each file of a project is asked what
// depends on it (an artifact's context less its .dockerignore, its Dockerfile outside the
// context, a custom build's and a custom test's dependencies, rawYaml globs, a kustomize overlay
// and the base it names, a helm chart and its values file) and what nothing depends on is let be.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadSkaffold } from '../../../../pipelines/skaffold/load.ts';
import { planDependencies } from '../../../../runner/dev/dependencies.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const SKAFFOLD = `apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - image: web
      context: web
      docker:
        dockerfile: ../docker/web.Dockerfile
    - image: tool
      context: tool
      custom:
        buildCommand: ./build.sh
        dependencies:
          paths: [src, go.mod]
          ignore: [src/generated]
    - image: api
      context: api
test:
  - image: web
    context: web
    custom:
      - command: npm test
        dependencies:
          paths: ["test/**"]
  - image: api
    custom:
      - command: ./check.sh
manifests:
  rawYaml:
    - k8s/*.yaml
  kustomize:
    paths: [kustomize/overlays/dev]
  helm:
    releases:
      - name: chart
        chartPath: charts/web
        valuesFiles: [values/dev.yaml]
deploy:
  kubectl: {}
`;

const FILES: Record<string, string> = {
  'skaffold.yaml': SKAFFOLD,
  'web/.dockerignore': '*.log\ntmp/\n',
  'web/index.html': '<p>hi</p>\n',
  'docker/web.Dockerfile': 'FROM scratch\nCOPY . /\n',
  'tool/build.sh': '#!/bin/sh\n',
  'tool/go.mod': 'module tool\n',
  'tool/src/main.go': 'package main\n',
  'tool/src/generated/x.go': 'package generated\n',
  'api/Dockerfile': 'FROM scratch\n',
  'k8s/web.yaml': 'kind: ConfigMap\n',
  'kustomize/overlays/dev/kustomization.yaml': 'resources:\n  - ../../base\npatches:\n  - path: ../../patches/replicas.yaml\n',
  'kustomize/base/kustomization.yaml': 'resources: [deployment.yaml]\n',
  'kustomize/base/deployment.yaml': 'kind: Deployment\n',
  'kustomize/patches/replicas.yaml': 'kind: Deployment\n',
  'charts/web/Chart.yaml': 'name: web\n',
  'values/dev.yaml': 'replicas: 1\n',
};

async function project(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-deps-'));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

void test("what depends on each file of a skaffold project: the plan's inputs, and nothing else", async () => {
  const root = await project();
  const { plan, errors } = await loadSkaffold({ root, source: { path: 'skaffold.yaml', profiles: [], module: [] }, activation: { env: {}, kubeContext: 'slipway-test', command: 'dev' } });
  assert.deepEqual(errors, []);
  const deps = await planDependencies(root, plan!);
  const cases: [string, string | undefined][] = [
    ['web/index.html', 'artifact web'],
    ['web/css/new.css', 'artifact web'],
    ['web/.dockerignore', 'artifact web'],
    ['web/debug.log', undefined],
    ['web/tmp/cache.bin', undefined],
    ['docker/web.Dockerfile', 'artifact web'],
    ['docker/other.Dockerfile', undefined],
    ['tool/src/main.go', 'artifact tool'],
    ['tool/go.mod', 'artifact tool'],
    ['tool/src/generated/x.go', undefined],
    ['tool/README.md', undefined],
    ['api/Dockerfile', 'artifact api'],
    ['web/test/unit.js', 'artifact web'],
    ['k8s/web.yaml', 'manifests k8s/*.yaml'],
    ['k8s/notes.txt', undefined],
    ['kustomize/overlays/dev/kustomization.yaml', 'kustomize kustomize/overlays/dev'],
    ['kustomize/base/deployment.yaml', 'kustomize kustomize/overlays/dev'],
    ['kustomize/patches/replicas.yaml', 'kustomize kustomize/overlays/dev'],
    ['kustomize/overlays/prod/kustomization.yaml', undefined],
    ['charts/web/templates/deploy.yaml', 'helm release chart'],
    ['values/dev.yaml', 'helm release chart'],
    ['values/prod.yaml', undefined],
    ['report/results.xml', undefined],
    ['.slipway/seen', undefined],
    ['.git/index', undefined],
    ['web/node_modules/x/index.js', undefined],
  ];
  assert.deepEqual(
    cases.map(([f]) => [f, deps.of(f)]),
    cases,
  );
});

void test("a custom test's dependencies outside the artifacts are the test's", async () => {
  const root = await project();
  const yaml = SKAFFOLD.replace('context: web\n    custom:\n      - command: npm test\n        dependencies:\n          paths: ["test/**"]', 'custom:\n      - command: npm test\n        dependencies:\n          paths: ["e2e"]\n          ignore: ["e2e/out"]');
  assert.notEqual(yaml, SKAFFOLD);
  await writeFile(path.join(root, 'skaffold.yaml'), yaml);
  const { plan, errors } = await loadSkaffold({ root, source: { path: 'skaffold.yaml', profiles: [], module: [] }, activation: { env: {}, kubeContext: 'slipway-test', command: 'dev' } });
  assert.deepEqual(errors, []);
  const deps = await planDependencies(root, plan!);
  assert.equal(deps.of('e2e/login.spec.ts'), 'test web custom[0]');
  assert.equal(deps.of('e2e/out/screenshot.png'), undefined);
  assert.equal(deps.of('README.md'), undefined);
});
