// `slipway run` with a deploy: Redis (the deploy lock, the environment record) is connected only
// when the deploy's warm-up or the deploy needs it, and closed when the run ends, also after a
// build that failed while it was being connected (an open connection would keep this file's
// process, and so the test, from ending). Real Redis, buildah, helm and cluster.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { main } from '../../../cli/main.ts';
import { EnvStore } from '../../../core/env-store.ts';
import { deleteNamespace, kubeClients, readNamespace } from '../../../runner/environments/kube.ts';
import { KubeConfig } from '../../../runner/environments/kube-api.ts';
import { cliWorkspace, type CliWorkspace } from '../../helpers/cli-workspace.ts';
import { runnerAppPipeline } from '../../helpers/runner-app-pipeline.ts';
import { testenv, testRedis, uniqueName, type TestRedis } from '../../helpers/testenv.ts';
import { useTestenvProcessEnv } from '../runner/harness.ts';

let w: CliWorkspace;
let r: TestRedis;
const name = uniqueName('rd');
const kc = new KubeConfig();
before(async () => {
  useTestenvProcessEnv();
  kc.loadFromFile(testenv().kubeconfig);
  r = await testRedis();
  w = await cliWorkspace('run-deploy');
  await w.pipeline(
    name,
    runnerAppPipeline({
      name,
      repoUrl: w.repo.url,
      imagePath: `slipway-run-test/${name}`,
      releases: ['  helm: { releases: [{ name: app, chartPath: chart }], timeout: 60s }'],
      extra: [`environment: { namespace: ${name}, ttl: 1h }`],
    }),
  );
});
after(async () => {
  await deleteNamespace(kubeClients(kc), name).catch(() => undefined);
  await w.cleanup();
  await r.cleanup();
});

void test('slipway run deploys through Redis connected on first use, and a failed build after its warm-up ends cleanly', async () => {
  const env = { SLIPWAY_REDIS_URL: testenv().redisUrl, SLIPWAY_KEY_PREFIX: r.prefix };
  const ok = w.cli(env);
  assert.equal(await main(['run', name], ok.ctx), 0, ok.out() + ok.err());
  assert.match(ok.out(), new RegExp(`deployed to namespace ${name}`));
  assert.equal((await new EnvStore(r.redis, r.keys).get(name, 'main'))?.lastBuild, `${name}-1`);
  assert.ok(await readNamespace(kubeClients(kc), name));

  await w.repo.commit({ Dockerfile: `FROM ${testenv().baseImage}\nRUN echo this build fails && false\n` }, 'a failing build');
  const failed = w.cli(env);
  assert.equal(await main(['run', name], failed.ctx), 1, failed.out() + failed.err());
  assert.match(failed.out(), /build failed/);
  // the environment still names the first build: nothing of the failed one was recorded
  assert.equal((await new EnvStore(r.redis, r.keys).get(name, 'main'))?.lastBuild, `${name}-1`);
});
