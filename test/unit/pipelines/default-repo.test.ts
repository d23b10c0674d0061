// Skaffold's --default-repo rules (its default_repo_test.go cases, and the local registry's).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { substituteDefaultRepo, withDefaultRepo } from '../../../pipelines/default-repo.ts';
import { Pipeline } from '../../../pipelines/schema.ts';

void test('names are rewritten as Skaffold rewrites them', () => {
  const cases: [string, string | undefined, string][] = [
    ['gcr.io/some/registry', 'gcr.io/default', 'gcr.io/default/gcr.io/some/registry'],
    ['gcr.io/some/registry', undefined, 'gcr.io/some/registry'],
    ['gcr.io/default/registry', 'gcr.io/default', 'gcr.io/default/registry'],
    ['eu.gcr.io/project/registry', 'eu.gcr.io/project', 'eu.gcr.io/project/registry'],
    ['gcr.io/default/example/registry', 'gcr.io/default/repository', 'gcr.io/default/repository/example/registry'],
    ['gcr.io/some/registry', 'aws_account_id.dkr.ecr.region.amazonaws.com', 'aws_account_id.dkr.ecr.region.amazonaws.com/gcr_io_some_registry'],
    ['gcr.io/k8s-skaffold/skaffold-example', 'gcr.io/k8s-skaffold', 'gcr.io/k8s-skaffold/skaffold-example'],
    ['img', 'gcr.io/default', 'gcr.io/default/img'],
    ['demo/demo-app', '127.0.0.1:5000', '127.0.0.1:5000/demo_demo-app'],
    ['app', '127.0.0.1:5000/', '127.0.0.1:5000/app'],
    ['127.0.0.1:5000/demo/app', '127.0.0.1:5000', '127.0.0.1:5000/demo/app'],
    ['127.0.0.1:44877/demo/app', '127.0.0.1:5000', '127.0.0.1:5000/127_0_0_1_44877_demo_app'],
  ];
  for (const [image, repo, want] of cases) assert.equal(substituteDefaultRepo(repo, image), want, `${image} on ${repo}`);
  const long = `gcr.io/${'x'.repeat(300)}/app`;
  assert.equal(substituteDefaultRepo('aws.example.com', long).length, 255);
});

void test("the pipeline's build.defaultRepo wins over the runner's; without either nothing changes", () => {
  const p = Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: 'x' },
    source: { repo: 'https://example.com/x.git' },
    build: { artifacts: [{ image: 'team/app' }] },
  });
  assert.equal(withDefaultRepo(p, undefined).build.artifacts[0]!.image, 'team/app');
  assert.equal(withDefaultRepo(p, '127.0.0.1:5000').build.artifacts[0]!.image, '127.0.0.1:5000/team_app');
  const own = { ...p, build: { ...p.build, defaultRepo: 'reg.example.com/mine' } };
  assert.equal(withDefaultRepo(own, '127.0.0.1:5000').build.artifacts[0]!.image, 'reg.example.com/mine/team_app');
});
