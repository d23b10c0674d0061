// `slipway server` and `slipway runner` as separate processes over one Redis (how the compose
// file and the chart run them): a manual trigger over REST is built by the runner process, the
// server serves the dashboard, and SIGTERM stops both cleanly; a start that fails after Redis is
// connected (a work folder either cannot create, a port the server cannot listen on) ends either with the error.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { BuildRecord } from '../../../core/records.ts';
import { fixtureRepo } from '../../helpers/fixture-repo.ts';
import { startSlipwayProcess } from '../../helpers/slipway-process.ts';
import { testenv, testRedis, uniqueName } from '../../helpers/testenv.ts';

const t = await testRedis();
const dir = await mkdtemp(path.join(tmpdir(), 'slipway-processes-'));
const repo = await fixtureRepo({ 'README.md': 'hello\n' });
after(async () => {
  await t.cleanup();
  await repo.cleanup();
  await rm(dir, { recursive: true, force: true });
});

const start = (command: 'server' | 'runner', env: Record<string, string>, ready: RegExp) => startSlipwayProcess(command, { cwd: dir, env, ready });

void test('server and runner processes build a manual trigger and stop on SIGTERM', async () => {
  const name = uniqueName('procs');
  await mkdir(path.join(dir, 'pipelines'));
  await writeFile(
    path.join(dir, 'pipelines', `${name}.yaml`),
    `apiVersion: slipway/v1\nkind: Pipeline\nmetadata: { name: ${name} }\nsource: { repo: "${repo.url}", allowLocal: true }\ntest:\n  - { name: readme, run: [grep, -q, hello, README.md] }\n`,
  );
  const token = 'processes-token-5b7d';
  const env = {
    SLIPWAY_REDIS_URL: testenv().redisUrl,
    SLIPWAY_KEY_PREFIX: t.prefix,
    SLIPWAY_API_TOKEN: token,
    SLIPWAY_PORT: '0',
    SLIPWAY_DATA_DIR: path.join(dir, '.slipway'),
    SLIPWAY_STOP_GRACE_MS: '5000',
  };
  const server = start('server', env, /server listening/);
  const runner = start('runner', env, /runner listening for builds/);
  const url = (JSON.parse(await server.ready) as { url: string }).url;
  await runner.ready;

  const page = await fetch(`${url}/`);
  assert.match(await page.text(), /<title>Slipway<\/title>/, 'the server process serves the dashboard');
  const res = await fetch(`${url}/api/pipelines/${name}/builds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ branch: 'main' }),
  });
  assert.equal(res.status, 201);
  const { id } = (await res.json()) as BuildRecord;
  let build: BuildRecord | undefined;
  for (let i = 0; i < 600 && !['succeeded', 'failed', 'cancelled'].includes(build?.status ?? ''); i++) {
    await new Promise((r) => setTimeout(r, 100));
    build = (await (await fetch(`${url}/api/builds/${id}`)).json()) as BuildRecord;
  }
  assert.equal(build?.status, 'succeeded', await (await fetch(`${url}/api/builds/${id}/log`)).text());
  assert.equal(build?.sha, await repo.head(), 'the branch head was resolved and built');

  for (const p of [server, runner]) process.kill(p.pid()!, 'SIGTERM');
  assert.equal((await server.done).exitCode, 0);
  assert.equal((await runner.done).exitCode, 0);
});

void test('a runner whose start fails (a workdir it cannot create) exits with the error instead of idling on its Redis connection', async () => {
  const notADir = path.join(dir, 'not-a-dir');
  await writeFile(notADir, '');
  const runner = startSlipwayProcess('runner', {
    cwd: dir,
    env: { SLIPWAY_REDIS_URL: testenv().redisUrl, SLIPWAY_KEY_PREFIX: t.prefix, SLIPWAY_DATA_DIR: path.join(dir, '.slipway-failing'), SLIPWAY_WORKDIR: path.join(notADir, 'work') },
    ready: /runner listening for builds/,
    timeoutMs: 30_000,
  });
  await runner.ready.catch(() => undefined); // it never gets there
  const res = await runner.done;
  assert.equal(res.exitCode, 1, 'it exited with the error (before the fix it lived on until the 30 s timeout)');
  assert.match(res.stderr, /the work folder \S+not-a-dir\/work \(SLIPWAY_WORKDIR\) cannot be written: ENOTDIR/);
});

void test('a server whose work folder cannot be written (where its webhook spool goes) refuses to start, naming the folder and its setting', async () => {
  const notADir = path.join(dir, 'not-a-dir-either');
  await writeFile(notADir, '');
  const cases: { env: Record<string, string>; message: RegExp }[] = [
    { env: { SLIPWAY_DATA_DIR: path.join(dir, '.slipway-server-failing'), SLIPWAY_WORKDIR: path.join(notADir, 'work') }, message: /the work folder \S+not-a-dir-either\/work \(SLIPWAY_WORKDIR\) cannot be written: ENOTDIR/ },
    // the work folder by default: SLIPWAY_DATA_DIR/work
    { env: { SLIPWAY_DATA_DIR: path.join(notADir, 'data') }, message: /the work folder \S+not-a-dir-either\/data\/work \(SLIPWAY_DATA_DIR\/work; SLIPWAY_WORKDIR is not set\) cannot be written: ENOTDIR/ },
  ];
  for (const c of cases) {
    const server = startSlipwayProcess('server', {
      cwd: dir,
      env: { SLIPWAY_REDIS_URL: testenv().redisUrl, SLIPWAY_KEY_PREFIX: t.prefix, SLIPWAY_PORT: '0', ...c.env },
      ready: /server listening/,
      timeoutMs: 30_000,
    });
    // before the fix it listened, and during a Redis outage answered each webhook 503: the spool could not be written
    const listened = await server.ready.then(() => true, () => false);
    if (listened) process.kill(server.pid()!, 'SIGTERM');
    const res = await server.done;
    assert.equal(listened, false, `it did not listen (${JSON.stringify(c.env)})`);
    assert.equal(res.exitCode, 1);
    assert.match(res.stderr, c.message);
  }
});

void test('a server whose start fails after Redis is connected (its port already taken) exits with the error instead of idling on its connections', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
  try {
    const { port } = taken.address() as AddressInfo;
    const server = startSlipwayProcess('server', {
      cwd: dir,
      env: { SLIPWAY_REDIS_URL: testenv().redisUrl, SLIPWAY_KEY_PREFIX: t.prefix, SLIPWAY_DATA_DIR: path.join(dir, '.slipway-taken'), SLIPWAY_HOST: '127.0.0.1', SLIPWAY_PORT: String(port) },
      ready: /server listening/,
      timeoutMs: 30_000,
    });
    await server.ready.catch(() => undefined); // it never gets there
    const res = await server.done;
    assert.equal(res.exitCode, 1, 'it exited with the error (before the fix it lived on until the 30 s timeout)');
    assert.match(res.stderr, /EADDRINUSE/);
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});
