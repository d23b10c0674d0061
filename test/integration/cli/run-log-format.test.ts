// `slipway run` as users run it (a process of its own, cli/bin.ts): a deploy that fails (a helm
// release whose chart is not in the repository) logs its warning as a human line on stderr, not
// a pino JSON line in the middle of the build log on stdout (SLIPWAY_LOG_FORMAT=json asks for those).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { deleteNamespace, kubeClients } from '../../../runner/environments/kube.ts';
import { exec } from '../../../runner/exec.ts';
import { cliWorkspace, type CliWorkspace } from '../../helpers/cli-workspace.ts';
import { runnerAppPipeline } from '../../helpers/runner-app-pipeline.ts';
import { ROOT, testenv, testRedis, uniqueName, type TestRedis } from '../../helpers/testenv.ts';
import { useTestenvProcessEnv } from '../runner/harness.ts';

const name = uniqueName('runlog');
let w: CliWorkspace;
let redis: TestRedis;

before(async () => {
  useTestenvProcessEnv();
  redis = await testRedis();
  w = await cliWorkspace('run-log-format');
  await w.pipeline(
    name,
    runnerAppPipeline({
      name,
      repoUrl: w.repo.url,
      imagePath: `slipway-run-test/${name}`,
      releases: ['  helm: { releases: [{ name: app, chartPath: no-such-chart }] }'],
      extra: [`environment: { namespace: ${name} }`],
    }),
  );
});
after(async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  await deleteNamespace(kubeClients(kc), name).catch(() => undefined);
  await redis.cleanup();
  await w.cleanup();
});

void test('slipway run: a failed deploy warns in a human line on stderr, no JSON line in the output', async () => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SLIPWAY_')) env[k] = v;
  Object.assign(env, { SLIPWAY_DATA_DIR: path.join(w.dir, '.slipway'), SLIPWAY_REDIS_URL: testenv().redisUrl, SLIPWAY_KEY_PREFIX: redis.prefix });
  const r = await exec(['node', '--import', import.meta.resolve('tsx'), path.join(ROOT, 'cli/bin.ts'), 'run', name], { cwd: w.dir, env, allowFailure: true, timeoutMs: 300_000 });
  const all = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.exitCode, 1, all);
  assert.match(r.stdout, /==> deploy[\s\S]*no-such-chart/, all);
  const jsonLines = all.split('\n').filter((l) => l.trim().startsWith('{'));
  assert.deepEqual(jsonLines, [], all);
  assert.match(r.stderr, /^\d\d:\d\d:\d\d WARN  environment deploy failed .*namespace=/m, all);
  assert.doesNotMatch(r.stdout, /environment deploy failed/);
});
