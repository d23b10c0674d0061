// The client commands as processes against the stack `slipway up` runs (server, runner, environment
// keeper) with real builds and a real environment: `logs -f` on a terminal (a pty from script(1))
// shows stage headers and colours and piped shows plain text, `rerun -f` follows the new build to its
// result, `env ls` lists the deployed environment with its URL and last build, `env rm` tears it down.
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readConfig } from '../../../core/config.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { BuildRecord, EnvironmentRecord } from '../../../core/records.ts';
import { parsePipelines } from '../../../pipelines/load.ts';
import { startRunnerPart, startServerPart, type RunnerPart, type ServerPart } from '../../../cli/up/stack.ts';
import { exec, type ExecResult } from '../../../runner/exec.ts';
import { eventually } from '../../helpers/eventually.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/fixture-repo.ts';
import { ROOT, testenv, testRedis, uniqueName, type TestRedis } from '../../helpers/testenv.ts';
import { useTestenvProcessEnv } from '../runner/harness.ts';

const TOKEN = 'follow-token-91c2';
let t: TestRedis;
let repo: FixtureRepo;
let workdir: string;
let server: ServerPart;
let runner: RunnerPart;
const name = uniqueName('clif');

before(async () => {
  useTestenvProcessEnv();
  t = await testRedis();
  repo = await fixtureRepo({ 'README.md': 'cli\n' });
  await cp(path.join(ROOT, 'test/fixtures/charts/env-app'), path.join(repo.dir, 'chart'), { recursive: true });
  await repo.commit({}, 'add the chart');
  workdir = await mkdtemp(path.join(tmpdir(), 'slipway-cli-follow-'));
  const { pipelines, errors } = parsePipelines(
    `apiVersion: slipway/v1
kind: Pipeline
metadata: { name: ${name} }
source: { repo: "${repo.url}", allowLocal: true }
test:
  - name: unit
    run: [sh, -c, "printf '\\\\033[31mred alert\\\\033[0m\\\\n'"]
deploy:
  helm:
    releases:
      - name: web
        chartPath: chart
        setValues: { host: "{{ .Namespace }}.example.test" }
environment: { namespace: "{{ .Pipeline }}-{{ .Branch }}", ttl: 1h }
`,
    'follow.yaml',
  );
  assert.deepEqual(errors, []);
  const config = readConfig(
    { SLIPWAY_REDIS_URL: testenv().redisUrl, SLIPWAY_PORT: '0', SLIPWAY_API_TOKEN: TOKEN, SLIPWAY_DATA_DIR: workdir, SLIPWAY_PIPELINES: workdir, SLIPWAY_KEY_PREFIX: t.prefix, KUBECONFIG: testenv().kubeconfig },
    workdir,
  );
  const stack = { redis: t.redis, redisUrl: testenv().redisUrl, keys: t.keys, config, log: silentLogger(), env: process.env, pipelines: () => pipelines };
  server = await startServerPart({ ...stack, port: 0 });
  runner = await startRunnerPart(stack);
});

after(async () => {
  await runner?.close(5000);
  await server?.close();
  await exec(['kubectl', 'delete', 'namespace', `${name}-main`, '--wait=false'], { allowFailure: true, timeoutMs: 30_000 });
  await t?.cleanup();
  await repo?.cleanup();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

const CLI = ['node', '--import', import.meta.resolve('tsx'), path.join(ROOT, 'cli/bin.ts')];
const clientEnv = () => ({ SLIPWAY_PUBLIC_URL: server.url, SLIPWAY_API_TOKEN: TOKEN, SLIPWAY_DATA_DIR: workdir, NO_COLOR: undefined, FORCE_COLOR: undefined });
const slipway = (args: string[]): Promise<ExecResult> => exec([...CLI, ...args], { cwd: workdir, env: clientEnv(), allowFailure: true, timeoutMs: 120_000 });
/** The command on a terminal: script(1) gives it a pty and returns its exit code (-e). */
const onTerminal = (args: string[]): Promise<ExecResult> =>
  exec(['script', '-qec', [...CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' '), '/dev/null'], { cwd: workdir, env: { ...clientEnv(), TERM: 'xterm' }, allowFailure: true, timeoutMs: 120_000 });

void test('logs -f on a terminal and piped, rerun -f, env ls and env rm, with real builds and a real environment', { timeout: 300_000 }, async () => {
  const res = await fetch(`${server.url}/api/pipelines/${name}/builds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ branch: 'main' }),
  });
  const first = (await res.json()) as BuildRecord;

  const tty = await onTerminal(['logs', first.id, '-f']);
  assert.equal(tty.exitCode, 0, tty.stdout + tty.stderr);
  assert.match(tty.stdout, /\u001b\[1;36m━━ checkout ━+\u001b\[0m/, 'a stage header stands out on a terminal');
  assert.match(tty.stdout, /\u001b\[1;36m━━ deploy ━+/);
  assert.match(tty.stdout, /\u001b\[31mred alert\u001b\[0m/, "the step's colours are kept");
  assert.match(tty.stdout, new RegExp(`build ${first.id} \\u001b\\[1;32msucceeded`));

  const piped = await slipway(['logs', first.id, '-f']);
  assert.equal(piped.exitCode, 0, piped.stderr);
  assert.match(piped.stdout, /^==> checkout$/m);
  assert.match(piped.stdout, /^red alert$/m);
  assert.ok(!piped.stdout.includes('\u001b'), 'piped output is plain text');

  const rerun = await slipway(['rerun', first.id, '-f']);
  assert.equal(rerun.exitCode, 0, rerun.stdout + rerun.stderr);
  const second = `${name}-${first.number + 1}`;
  assert.match(rerun.stdout, new RegExp(`^${second} queued \\(rerun of ${first.id}\\)\\n`));
  assert.match(rerun.stdout, /^==> deploy$/m, 'rerun -f printed the new build\'s log');
  assert.match(rerun.stderr, new RegExp(`build ${second} succeeded`));

  const namespace = `${name}-main`;
  const ls = await slipway(['env', 'ls']);
  assert.equal(ls.exitCode, 0, ls.stderr);
  assert.match(ls.stdout, new RegExp(`^${name}\\.${namespace}\\s+ready\\s+${namespace}\\s+main\\s+${second}\\s+\\S+\\s+http://${namespace}\\.example\\.test/$`, 'm'));
  const json = JSON.parse((await slipway(['env', 'ls', '-o', 'json'])).stdout) as EnvironmentRecord[];
  const env = json.find((e) => e.namespace === namespace)!;
  assert.deepEqual([env.status, env.lastBuild, env.urls], ['ready', second, [`http://${namespace}.example.test/`]]);

  const removed = await slipway(['env', 'rm', env.id]);
  assert.deepEqual([removed.exitCode, removed.stdout], [0, `teardown of ${env.id} queued\n`], removed.stderr);
  await eventually(async () => ((await slipway(['env', 'ls'])).stdout.includes(namespace) ? undefined : true), 'the environment leaves env ls', 120_000);
  const all = await slipway(['env', 'ls', '--all']);
  assert.match(all.stdout, new RegExp(`^${name}\\.${namespace}\\s+deleted\\s+${namespace}`, 'm'));
});
