// `slipway run`: a pipeline run here, without server or queue, its log printed, the exit code
// the build's result. Against the testenv's registry (no deploy: that needs Redis and is covered
// by the runner tests).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../../cli/main.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/fixture-repo.ts';
import { runnerAppPipeline } from '../../helpers/runner-app-pipeline.ts';
import { ROOT, testenv, uniqueName } from '../../helpers/testenv.ts';
import { useTestenvProcessEnv } from '../runner/harness.ts';

let repo: FixtureRepo;
let dir: string;
const name = uniqueName('run');
before(async () => {
  useTestenvProcessEnv();
  const app = path.join(ROOT, 'test/fixtures/runner-app');
  repo = await fixtureRepo({
    Dockerfile: await readFile(path.join(app, 'Dockerfile'), 'utf8'),
    'chart/Chart.yaml': await readFile(path.join(app, 'chart/Chart.yaml'), 'utf8'),
  });
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-run-'));
  await mkdir(path.join(dir, 'pipelines'));
  await writeFile(
    path.join(dir, 'pipelines', `${name}.yaml`),
    runnerAppPipeline({ name, repoUrl: repo.url, imagePath: `slipway-run-test/${name}`, releases: ['  helm: { releases: [{ name: app, chartPath: chart }] }'] }),
  );
});
after(async () => {
  await repo.cleanup();
  await rm(dir, { recursive: true, force: true });
});

function cli(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    stdout: (t: string) => void out.push(t),
    stderr: (t: string) => void err.push(t),
    env: { ...process.env, SLIPWAY_DATA_DIR: path.join(dir, '.slipway'), SLIPWAY_REDIS_URL: '', ...env },
    cwd: dir,
  };
  return { ctx, out: () => out.join(''), err: () => err.join('') };
}

void test('slipway run builds, pushes and tests here, printing the log; numbers count up', async () => {
  const c = cli();
  const code = await main(['run', name, '--no-deploy'], c.ctx);
  assert.equal(code, 0, c.out() + c.err());
  assert.match(c.out(), /==> checkout[\s\S]*==> build[\s\S]*unit tests ran[\s\S]*build succeeded/);
  assert.match(c.out(), new RegExp(`image ${testenv().registry}/slipway-run-test/${name}:1@sha256:[0-9a-f]{64}`));
  const again = cli();
  assert.equal(await main(['run', name, '--no-deploy', '--sha', await repo.head()], again.ctx), 0, again.out());
  assert.match(again.out(), new RegExp(`/${name}:2@sha256:`));
  assert.deepEqual(await readdir(path.join(dir, '.slipway', 'run-numbers')), [name]);
});

void test('slipway run refuses clearly: unknown pipeline, deploy without Redis, bad sha', async () => {
  const unknown = cli();
  assert.notEqual(await main(['run', 'no-such-pipeline'], unknown.ctx), 0);
  assert.match(unknown.err(), new RegExp(`no pipeline named no-such-pipeline .*found: ${name}`));
  const noRedis = cli();
  assert.notEqual(await main(['run', name], noRedis.ctx), 0);
  assert.match(noRedis.err(), /SLIPWAY_REDIS_URL/);
  const badSha = cli();
  assert.equal(await main(['run', name, '--no-deploy', '--sha=--upload-pack=x'], badSha.ctx), 1);
  assert.match(badSha.out(), /checkout failed: .*not a full commit sha/);
});
