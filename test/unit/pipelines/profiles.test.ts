// Profiles override only what they name; tag pushes cannot deploy and say so at load time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatProblem } from '../../../core/errors.ts';
import { parsePipelines } from '../../../pipelines/load.ts';
import { effectivePipeline, teardownOnBranchDelete } from '../../../pipelines/profiles.ts';
import type { Pipeline } from '../../../pipelines/schema.ts';

const BASE = `apiVersion: slipway/v1
kind: Pipeline
metadata:
  name: bb
source:
  repo: http://h/r.git
build:
  builder: kaniko
  concurrency: 1
  timeout: 10m
  artifacts:
    - image: reg/app
deploy:
  helm:
    releases:
      - name: web
        chartPath: chart
    atomic: false
    timeout: 2m
environment:
  namespace: "bb-{{ .Branch }}"
  ttl: 24h
  teardownOnBranchDelete: true
`;

function load(text: string): Pipeline {
  const { pipelines, errors } = parsePipelines(text, 'p.yaml');
  assert.deepEqual(errors.map(formatProblem), []);
  return pipelines[0]!.pipeline;
}

void test('a profile naming one build field keeps the artifacts, builder and timeout', () => {
  const p = load(`${BASE}profiles:\n  - name: fast\n    activation: [{ branch: main }]\n    build: { concurrency: 4 }\n`);
  const eff = effectivePipeline(p, 'main');
  assert.equal(eff.profile, 'fast');
  assert.deepEqual(eff.pipeline.build, { ...p.build, concurrency: 4 });
  assert.equal(eff.pipeline.build.artifacts.length, 1);
  assert.equal(eff.pipeline.build.builder, 'kaniko');
});

void test('a profile naming the ttl keeps the namespace and teardownOnBranchDelete', () => {
  const p = load(`${BASE}profiles:\n  - name: keep\n    activation: [{ branch: main }]\n    environment: { ttl: 0 }\n`);
  const env = effectivePipeline(p, 'main').pipeline.environment;
  assert.deepEqual(env, { namespace: 'bb-{{ .Branch }}', ttl: '0', teardownOnBranchDelete: true });
});

void test('a profile naming the helm timeout keeps the releases and atomic', () => {
  const p = load(`${BASE}profiles:\n  - name: slow\n    activation: [{ branch: main }]\n    deploy: { helm: { timeout: 10m } }\n`);
  const helm = effectivePipeline(p, 'main').pipeline.deploy.helm!;
  assert.deepEqual(helm, { releases: p.deploy.helm!.releases, atomic: false, timeout: '10m' });
  // another branch gets the base
  assert.deepEqual(effectivePipeline(p, 'feature/x').pipeline, p);
});

void test('a profile may add a helm deploy to a pipeline without one, with helm defaults', () => {
  const noDeploy = BASE.replace(/deploy:\n(  .*\n)+/, '');
  const p = load(`${noDeploy}profiles:\n  - name: prod\n    activation: [{ branch: main }]\n    deploy: { helm: { releases: [{ name: web, chartPath: c }] } }\n`);
  assert.equal(p.deploy.helm, undefined);
  assert.deepEqual(effectivePipeline(p, 'main').pipeline.deploy.helm, { releases: [{ name: 'web', chartPath: 'c', valuesFiles: [], setValues: {} }], atomic: true, timeout: '5m' });
  const { errors } = parsePipelines(`${noDeploy}profiles:\n  - name: prod\n    activation: [{ branch: main }]\n    deploy: { helm: { timeout: 1m } }\n`, 'q.yaml');
  assert.deepEqual(errors.map(formatProblem), ['q.yaml:20:15: profiles[0].deploy.helm: the pipeline has no helm deploy: this profile must name its releases']);
});

void test("teardownOnBranchDelete is read from the branch's profile", () => {
  const p = load(`${BASE}profiles:\n  - name: stable\n    activation: [{ branch: "release/*" }]\n    environment: { teardownOnBranchDelete: false }\n`);
  assert.equal(teardownOnBranchDelete(p, 'release/1'), false);
  assert.equal(teardownOnBranchDelete(p, 'feature/x'), true);
  assert.equal(effectivePipeline(p, 'release/1').pipeline.environment.namespace, 'bb-{{ .Branch }}');
});

void test('a pipeline that deploys and builds tags is refused at load time with its place', () => {
  const { pipelines, errors } = parsePipelines(BASE.replace('build:\n', 'on:\n  push:\n    tags: ["v*"]\nbuild:\n'), 't.yaml');
  assert.equal(pipelines.length, 0);
  assert.deepEqual(errors.map(formatProblem), [
    't.yaml:9:5: on.push.tags: tag pushes cannot deploy (environments are per branch): build tags in a second pipeline without a deploy, or remove on.push.tags',
  ]);
  // without a deploy, tags build
  const noDeploy = BASE.replace(/deploy:\n(  .*\n)+/, '').replace('build:\n', 'on:\n  push:\n    tags: ["v*"]\nbuild:\n');
  assert.deepEqual(parsePipelines(noDeploy, 'n.yaml').errors, []);
});
