import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planFromPipeline } from '../../../../pipelines/plan.ts';
import { Pipeline } from '../../../../pipelines/schema.ts';
import { createPlanHelmDeployer } from '../../../../runner/deployers/helm-plan.ts';
import type { EnvironmentManager } from '../../../../runner/environments/types.ts';
import type { ExecOptions, ExecResult } from '../../../../runner/exec.ts';

const environments: EnvironmentManager = {
  prepare: () => Promise.reject(new Error('not in this test')),
  recordDeploy: () => Promise.reject(new Error('not in this test')),
  recordFailure: async () => undefined,
  releaseStatus: async () => 'deployed',
};

void test("a native pipeline's helm release: `helm upgrade --install` with its values files and its setValues rendered, as strings", async () => {
  const pipeline = Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: 'app' },
    source: { repo: 'https://example.test/app.git' },
    deploy: { helm: { releases: [{ name: 'web', chartPath: 'chart', valuesFiles: ['values-{{ .Branch }}.yaml'], setValues: { 'image.tag': '{{ .Images.app.Tag }}', replicas: 2, host: '{{ .Namespace }}.test' } }] } },
  });
  const deploy = planFromPipeline(pipeline).deploys[0];
  assert.equal(deploy?.kind, 'helm');
  if (deploy?.kind !== 'helm') return;
  const calls: string[][] = [];
  const run = async (argv: string[], _o?: ExecOptions): Promise<ExecResult> => {
    calls.push(argv);
    return { exitCode: 0, stdout: argv[1] === 'version' ? 'v3.16.2' : '', stderr: '' };
  };
  const vars = { slipway: { BuildNumber: '4', Branch: 'main', Namespace: 'app-main', Images: { app: { Repo: 'r.test/app', Tag: '4', Digest: 'sha256:d', Ref: 'r.test/app:4@sha256:d' } } }, values: {} };
  const deployer = createPlanHelmDeployer(deploy, { namespace: 'app-main', workspace: '/w', run, line: () => undefined }, { helm: { bin: 'helm-under-test' }, environments, vars, images: [] });
  assert.deepEqual(deployer.releases, ['web']);
  await deployer.deploy();
  assert.deepEqual(calls.at(-1), [
    'helm-under-test', 'upgrade', '--install', 'web', '/w/chart', '--namespace', 'app-main', '--create-namespace', '--atomic', '--wait', '--timeout', '5m',
    '--values', '/w/values-main.yaml', '--set-string', 'image.tag=4', '--set-string', 'replicas=2', '--set-string', 'host=app-main.test',
  ]);
});
