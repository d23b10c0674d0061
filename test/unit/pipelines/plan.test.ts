import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planFromPipeline } from '../../../pipelines/plan.ts';
import { Pipeline } from '../../../pipelines/schema.ts';

const pipeline = (extra: Record<string, unknown>) =>
  Pipeline.parse({ apiVersion: 'slipway/v1', kind: 'Pipeline', metadata: { name: 'app' }, source: { repo: 'https://example.test/app.git' }, ...extra });

void test("a native pipeline's plan: its artifacts with the builder CLI and build.cache, its steps with secretEnv, its helm releases with string values", () => {
  const plan = planFromPipeline(
    pipeline({
      build: {
        builder: 'kaniko',
        cache: false,
        concurrency: 3,
        timeout: '12m',
        tagPolicy: { gitCommit: { variant: 'CommitSha' } },
        artifacts: [{ image: 'registry.test/app', context: 'web', docker: { dockerfile: 'Dockerfile.ci', buildArgs: { V: '{{ .BuildNumber }}' }, target: 'prod' } }],
      },
      test: [{ name: 'unit', run: ['npm', 'test'], workdir: 'web', env: { A: '1' }, secretEnv: { TOKEN: { env: 'RUNNER_TOKEN' } }, timeout: '3m' }],
      deploy: { helm: { atomic: false, timeout: '2m', releases: [{ name: 'web', chartPath: 'chart', valuesFiles: ['v.yaml'], setValues: { 'image.tag': '{{ .Images.app.Tag }}', replicas: 2 } }] } },
    }),
  );
  assert.deepEqual(plan.build, {
    artifacts: [
      {
        image: 'registry.test/app',
        context: 'web',
        builder: { kind: 'dockerfile', dockerfile: 'Dockerfile.ci', buildArgs: { V: '{{ .BuildNumber }}' }, target: 'prod' },
        requires: [],
        platforms: [],
      },
    ],
    tagPolicy: { kind: 'gitCommit', variant: 'CommitSha', prefix: '', ignoreChanges: false },
    push: true,
    concurrency: 3,
    timeout: '12m',
    cli: 'kaniko',
    cache: false,
  });
  assert.deepEqual(plan.tests, [{ kind: 'argv', name: 'unit', argv: ['npm', 'test'], workdir: 'web', env: { A: '1' }, secretEnv: { TOKEN: { env: 'RUNNER_TOKEN' } }, timeout: '3m' }]);
  assert.deepEqual(plan.deploys, [
    {
      kind: 'helm',
      atomic: false,
      timeout: '2m',
      releases: [
        {
          name: 'web',
          chartPath: 'chart',
          valuesFiles: ['v.yaml'],
          setValues: {},
          setValueTemplates: {},
          setStringTemplates: { 'image.tag': '{{ .Images.app.Tag }}', replicas: '2' },
          setFiles: {},
          wait: true,
          skipBuildDependencies: true,
          replaceImages: false,
        },
      ],
    },
  ]);
  // helm's own --wait is the check: no pod watch stops helm early
  assert.equal(plan.statusCheck.enabled, false);
});

void test('a native pipeline without artifacts, steps or deploy plans nothing for those stages; the default tag is the build number', () => {
  const plan = planFromPipeline(pipeline({}));
  assert.deepEqual([plan.build.artifacts, plan.tests, plan.deploys], [[], [], []]);
  assert.deepEqual(plan.build.tagPolicy, { kind: 'template', template: '{{ .BuildNumber }}' });
  assert.equal(plan.build.cache, true);
});
