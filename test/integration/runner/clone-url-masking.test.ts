// Credentials in a pipeline's repository URL (`http://ci:PASSWORD@host/...`) never show, against a
// real git server over HTTP that requires the login (test/helpers/git-http-server.ts), a real
// Slipway server (the API) and a real runner: a build of the right path checks out (so git used
// the credentials), a build of a wrong path fails with git's error, whose message names the URL;
// in neither the stored log, the log streamed over SSE, the API's build records and lists nor any
// Redis value is the password, raw, URL-encoded or as the base64 of user:password.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../../core/logger.ts';
import type { BuildRecord } from '../../../core/records.ts';
import { Pipeline } from '../../../pipelines/schema.ts';
import { exec } from '../../../runner/exec.ts';
import { createServer, listen, type SlipwayServer } from '../../../server/create-server.ts';
import { gitHttpServer, type GitHttpServer } from '../../helpers/git-http-server.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

const USER = 'ci';
const PASSWORD = `Cl0ne/pw:${process.pid}+s3cr@t`;
const TOKEN = `clone-test-token-${process.pid}`;
const FORMS = [PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), Buffer.from(PASSWORD).toString('base64')];

let h: RunnerHarness;
let git: GitHttpServer;
let bareRoot: string;
let slipway: SlipwayServer;
let http: Server;
let api: string;

function pipeline(name: string, repoPath: string): Pipeline {
  const url = new URL(`${git.url}${repoPath}`);
  url.username = USER;
  url.password = encodeURIComponent(PASSWORD);
  return Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name },
    source: { repo: url.toString() },
    test: [{ name: 'checked-out', run: ['sh', '-c', 'cat README.md'] }],
  });
}

let good: Pipeline;
let bad: Pipeline;

before(async () => {
  h = await runnerHarness();
  // the fixture repository as a bare one, served over dumb HTTP behind a login
  bareRoot = await mkdtemp(path.join(tmpdir(), 'slipway-git-http-'));
  await h.repo.commit({ 'README.md': 'served over http with a login\n' }, 'readme');
  const bare = path.join(bareRoot, 'team', 'app.git');
  await exec(['git', 'clone', '-q', '--bare', '--', h.repo.dir, bare]);
  await exec(['git', '-C', bare, 'update-server-info']);
  git = await gitHttpServer(bareRoot, USER, PASSWORD);
  good = pipeline(`${h.name}-good`, '/team/app.git');
  bad = pipeline(`${h.name}-bad`, '/team/missing.git');
  assert.ok(good.source.repo.includes(`${USER}:${encodeURIComponent(PASSWORD)}@`), good.source.repo);
  slipway = createServer({
    redis: h.redis,
    keys: h.keys,
    queues: h.queues,
    pipelines: [good, bad].map((p) => ({ file: `${p.metadata.name}.yaml`, pipeline: p })),
    config: { apiToken: TOKEN, publicUrl: 'http://slipway.test', duplicatePushSeconds: 0 },
    log: silentLogger(),
    env: {},
  });
  ({ server: http, url: api } = await listen(slipway, 0, '127.0.0.1'));
  await h.runner([good, bad], { pushAttempts: 1 });
});

after(async () => {
  slipway?.close();
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  await h?.cleanup();
  await git?.close();
  if (bareRoot) await rm(bareRoot, { recursive: true, force: true });
});

async function trigger(p: Pipeline): Promise<BuildRecord> {
  const res = await fetch(`${api}/api/pipelines/${p.metadata.name}/builds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ branch: 'main' }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  for (const form of FORMS) assert.ok(!text.includes(form), `${form} in the trigger's answer`);
  return JSON.parse(text) as BuildRecord;
}

/** The log as the dashboard follows it: SSE until `event: end`. */
async function streamedLog(id: string): Promise<string> {
  const res = await fetch(`${api}/api/builds/${id}/log`, { headers: { accept: 'text/event-stream' } });
  assert.equal(res.status, 200);
  return res.text();
}

function assertClean(what: string, text: string): void {
  for (const form of FORMS) assert.ok(!text.includes(form), `${form} in ${what}: ${text}`);
}

void test('a clone URL with credentials: checked out with them, and never shown, also when git fails naming the URL', async () => {
  const ok = await trigger(good);
  const failed = await trigger(bad);
  const okDone = await h.waitFinal(ok.id, 120_000);
  const failedDone = await h.waitFinal(failed.id, 120_000);
  const okLog = await h.logs.text(ok.id);
  const failedLog = await h.logs.text(failed.id);

  // git used the login: the good build checked out over HTTP, and the server saw authorized requests
  assert.equal(okDone.status, 'succeeded', okLog);
  assert.match(okLog, /^served over http with a login$/m);
  assert.ok(git.seen.some((r) => r.path === '/team/app.git/info/refs' && r.authorized && r.status === 200), JSON.stringify(git.seen));
  assert.ok(git.seen.some((r) => !r.authorized && r.status === 401), 'git first asked without the login');
  // the wrong path: git's error names the URL (without the password)
  assert.equal(failedDone.status, 'failed', failedLog);
  assert.ok(git.seen.some((r) => r.path.startsWith('/team/missing.git') && r.authorized && r.status === 404), JSON.stringify(git.seen));
  assert.match(failedLog, /http:\/\/ci:\*\*\*@127\.0\.0\.1:\d+\/team\/missing\.git/);
  assert.match(`${failedLog}\n${failedDone.reason ?? ''}`, /not found|404/i);

  for (const b of [okDone, failedDone]) {
    assertClean(`the stored log of ${b.pipeline}`, await h.logs.text(b.id));
    assertClean(`the streamed log of ${b.pipeline}`, await streamedLog(b.id));
    const plain = await fetch(`${api}/api/builds/${b.id}/log`);
    assertClean(`the log answer of ${b.pipeline}`, await plain.text());
    const record = await fetch(`${api}/api/builds/${b.id}`);
    assert.equal(record.status, 200);
    assertClean(`the build record of ${b.pipeline}`, await record.text());
    const list = await fetch(`${api}/api/pipelines/${b.pipeline}/builds`);
    assertClean(`the build list of ${b.pipeline}`, await list.text());
  }
  assertClean('the pipeline list', await (await fetch(`${api}/api/pipelines`)).text());
  assertClean('the failed build record', JSON.stringify(failedDone));

  // nothing in Redis either (logs, records, BullMQ's jobs and their failure reasons)
  const values: string[] = [];
  for (const key of await h.redis.keys(`${h.keys.prefix}*`)) {
    const type = await h.redis.type(key);
    const read: Record<string, () => Promise<unknown>> = {
      string: () => h.redis.get(key),
      stream: () => h.redis.xrange(key, '-', '+'),
      hash: () => h.redis.hgetall(key),
      zset: () => h.redis.zrange(key, '0', '-1'),
      list: () => h.redis.lrange(key, '0', '-1'),
      set: () => h.redis.smembers(key),
    };
    values.push(`${key} ${JSON.stringify(await (read[type] ?? (async () => type))())}`);
  }
  assert.ok(values.some((v) => v.includes(failed.id)), 'the failed build is in Redis');
  for (const v of values) assertClean('a Redis value', v);
});
