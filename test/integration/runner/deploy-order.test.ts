// An environment never goes back to an older build unless a person asks: a push build that
// finishes after a newer build has deployed skips its deploy ("superseded by <newer>"), while a
// re-run of an older commit, asked for by a person, deploys; a skaffold pipeline's deploys obey the
// same rule (one deploy stage for both). Real Redis, helm and cluster.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EnvStore } from '../../../core/env-store.ts';
import type { BuildRecord, BuildTrigger } from '../../../core/records.ts';
import type { Pipeline } from '../../../pipelines/schema.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

async function created(h: RunnerHarness, pipeline: Pipeline, trigger: BuildTrigger): Promise<BuildRecord> {
  return h.store.create({ pipeline: pipeline.metadata.name, trigger, repo: pipeline.source.repo, branch: 'main', sha: await h.repo.head() });
}

async function runJob(h: RunnerHarness, build: BuildRecord): Promise<BuildRecord> {
  await h.queues.builds.add('build', { buildId: build.id }, { jobId: build.id });
  return h.waitFinal(build.id);
}

async function deployedTag(h: RunnerHarness): Promise<string | undefined> {
  const dep = await h.apps.readNamespacedDeployment({ name: 'app', namespace: h.namespace });
  return dep.spec?.template.spec?.containers[0]?.image?.split(':').pop();
}

void test('a late older push build skips its deploy with "superseded by N"; an older re-run, asked for, deploys', async () => {
  const h = await runnerHarness();
  try {
    const pipeline = h.pipeline({
      build: { artifacts: [] },
      deploy: {
        helm: {
          releases: [{ name: 'app', chartPath: 'chart', setValues: { 'image.repository': 'example/app', 'image.tag': 'build-{{ .BuildNumber }}' } }],
          timeout: '60s',
        },
      },
    });
    await h.runner([pipeline]);
    const oldest = await created(h, pipeline, { type: 'push' });
    const rerun = await created(h, pipeline, { type: 'rerun', rerunOf: oldest.id, by: 'a person' });
    const newest = await created(h, pipeline, { type: 'push' });

    assert.equal((await runJob(h, newest)).status, 'succeeded', await h.logs.text(newest.id));
    assert.equal(await deployedTag(h), `build-${newest.number}`);

    // a re-run is a person asking: it may take the environment back
    const asked = await runJob(h, rerun);
    assert.equal(asked.status, 'succeeded', await h.logs.text(rerun.id));
    assert.equal(asked.reason, undefined);
    assert.equal(await deployedTag(h), `build-${rerun.number}`);

    // a push build older than what is deployed does not go over it
    const late = await runJob(h, oldest);
    assert.equal(late.status, 'succeeded', await h.logs.text(oldest.id));
    assert.equal(late.reason, `superseded by ${rerun.id}`);
    assert.equal(late.stages.find((s) => s.name === 'deploy')?.status, 'skipped');
    assert.equal(late.environment, undefined);
    assert.equal(await deployedTag(h), `build-${rerun.number}`);
    const env = await new EnvStore(h.redis, h.keys).get(pipeline.metadata.name, 'main');
    assert.equal(env?.lastBuild, rerun.id);
    assert.equal(env?.lastBuildNumber, rerun.number);
    const history = JSON.parse((await h.helm('history', 'app', '--namespace', h.namespace, '--output', 'json')).stdout) as unknown[];
    assert.equal(history.length, 2, 'two deploys, not three');
  } finally {
    await h.cleanup();
  }
});

void test("a skaffold pipeline's late older push build skips its deploy the same way", async () => {
  const h = await runnerHarness();
  try {
    await h.repo.commit(
      {
        'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
deploy:
  helm:
    releases:
      - name: app
        chartPath: chart
        setValueTemplates:
          image.repository: example/app
          image.tag: "build-{{.BUILD_NUMBER}}"
  statusCheckDeadlineSeconds: 60
`,
      },
      'skaffold',
    );
    const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
    await h.runner([pipeline]);
    const oldest = await created(h, pipeline, { type: 'push' });
    const newest = await created(h, pipeline, { type: 'push' });

    assert.equal((await runJob(h, newest)).status, 'succeeded', await h.logs.text(newest.id));
    assert.equal(await deployedTag(h), `build-${newest.number}`);

    const late = await runJob(h, oldest);
    assert.equal(late.status, 'succeeded', await h.logs.text(oldest.id));
    assert.equal(late.reason, `superseded by ${newest.id}`);
    assert.deepEqual(late.stages.map((s) => `${s.name}:${s.status}`), ['checkout:succeeded', 'build:succeeded', 'test:skipped', 'deploy:skipped', 'report:skipped']);
    assert.equal(late.environment, undefined);
    assert.match(await h.logs.text(oldest.id), /deploy skipped: .* already runs the newer build/);
    assert.equal(await deployedTag(h), `build-${newest.number}`);
    const history = JSON.parse((await h.helm('history', 'app', '--namespace', h.namespace, '--output', 'json')).stdout) as unknown[];
    assert.equal(history.length, 1, 'one deploy, not two');
  } finally {
    await h.cleanup();
  }
});
