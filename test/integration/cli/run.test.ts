// `slipway run`: a pipeline run here, without server or queue, its log printed, the exit code
// the build's result. Against the testenv's registry (no deploy: that needs Redis and is covered
// by the runner tests).
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../../cli/main.ts';
import { cliWorkspace, type CliWorkspace } from '../../helpers/cli-workspace.ts';
import { runnerAppPipeline } from '../../helpers/runner-app-pipeline.ts';
import { testenv, uniqueName } from '../../helpers/testenv.ts';
import { useTestenvProcessEnv } from '../runner/harness.ts';

let w: CliWorkspace;
const name = uniqueName('run');
before(async () => {
  useTestenvProcessEnv();
  w = await cliWorkspace('run');
  await w.pipeline(name, runnerAppPipeline({ name, repoUrl: w.repo.url, imagePath: `slipway-run-test/${name}`, releases: ['  helm: { releases: [{ name: app, chartPath: chart }] }'] }));
});
after(async () => {
  await w.cleanup();
});

void test('slipway run builds, pushes and tests here, printing the log; numbers count up', async () => {
  const c = w.cli();
  const code = await main(['run', name, '--no-deploy'], c.ctx);
  assert.equal(code, 0, c.out() + c.err());
  assert.match(c.out(), /==> checkout[\s\S]*==> build[\s\S]*unit tests ran[\s\S]*build succeeded/);
  assert.match(c.out(), new RegExp(`image ${testenv().registry}/slipway-run-test/${name}:1@sha256:[0-9a-f]{64}`));
  const again = w.cli();
  assert.equal(await main(['run', name, '--no-deploy', '--sha', await w.repo.head()], again.ctx), 0, again.out());
  assert.match(again.out(), new RegExp(`/${name}:2@sha256:`));
  assert.deepEqual(await readdir(path.join(w.dir, '.slipway', 'run-numbers')), [name]);
});

void test('slipway run refuses clearly: unknown pipeline, deploy without Redis, bad sha', async () => {
  const unknown = w.cli();
  assert.notEqual(await main(['run', 'no-such-pipeline'], unknown.ctx), 0);
  assert.match(unknown.err(), new RegExp(`no pipeline named no-such-pipeline .*found: ${name}`));
  const noRedis = w.cli();
  assert.notEqual(await main(['run', name], noRedis.ctx), 0);
  assert.match(noRedis.err(), /SLIPWAY_REDIS_URL/);
  const badSha = w.cli();
  assert.equal(await main(['run', name, '--no-deploy', '--sha=--upload-pack=x'], badSha.ctx), 1);
  assert.match(badSha.out(), /checkout failed: .*not a full commit sha/);
});
