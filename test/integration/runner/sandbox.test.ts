// Test steps run sandboxed (runner/sandbox.ts), against the real runner: a step that goes looking
// for what is not its own (the runner's environment through /proc, the kubeconfig, the registry
// auth file, another build's workspace, the data folder, Slipway's Redis) finds nothing, and no
// secret reaches the build log; the same step still reaches a local HTTP server, and git works
// in its workspace.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../../cli/up/embedded-redis.ts';
import { BuildStore } from '../../../core/build-store.ts';
import { createKeys } from '../../../core/keys.ts';
import { LogStream } from '../../../core/log-stream.ts';
import { silentLogger } from '../../../core/logger.ts';
import { createQueues, type Queues } from '../../../core/queue.ts';
import { isFinal, type BuildRecord } from '../../../core/records.ts';
import { Pipeline } from '../../../pipelines/schema.ts';
import { exec, recordingExec } from '../../../runner/exec.ts';
import { createSandbox } from '../../../runner/sandbox.ts';
import { startRunner, type Runner } from '../../../runner/start.ts';
import { capturedLogger } from '../../helpers/captured-logger.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/fixture-repo.ts';
import { testenv, uniqueName } from '../../helpers/testenv.ts';

const RUNNER_CANARY = `runner-env-canary-${process.pid}-7f3e`;
const REGISTRY_CANARY = `registry-pw-canary-${process.pid}-91ab`;
const OTHER_CANARY = `other-build-canary-${process.pid}-c0de`;
const STEP_SECRET = `step-secret/${process.pid}"é\\-5e5e`;

let dataDir: string;
let workdir: string;
let embedded: EmbeddedRedis;
let redis: Redis;
let queues: Queues;
let runner: Runner;
let web: Server;
let webPort: number;
let repo: FixtureRepo;
const keys = createKeys(`${uniqueName('sbx')}:`);
const bullPrefix = `${keys.prefix}bull`;
const rec = recordingExec(exec);

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'slipway-sandbox-data-'));
  workdir = path.join(dataDir, 'work');
  // Slipway's Redis, as `slipway up` runs it: with a password
  embedded = await startEmbeddedRedis({ dataDir, exec });
  redis = new Redis(embedded.url, { maxRetriesPerRequest: null });
  queues = createQueues(redis, bullPrefix);
  // what the runner holds and a step must not reach
  const authFile = path.join(dataDir, 'auth.json');
  await writeFile(authFile, JSON.stringify({ auths: { [testenv().registry]: { auth: Buffer.from(`pusher:${REGISTRY_CANARY}`).toString('base64') } } }), { mode: 0o600 });
  process.env.REGISTRY_AUTH_FILE = authFile;
  process.env.KUBECONFIG = testenv().kubeconfig;
  process.env.SLIPWAY_OTHER_PIPELINE_SECRET = RUNNER_CANARY;
  process.env.SLIPWAY_REDIS_URL = embedded.url;
  process.env.SANDBOX_TEST_STEP_SECRET = STEP_SECRET;
  const other = path.join(workdir, 'builds', 'other-pipeline-1');
  await mkdir(other, { recursive: true });
  await writeFile(path.join(other, 'secret.txt'), `${OTHER_CANARY}\n`);

  web = createServer((_req, res) => res.end('reachable-from-the-step\n'));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webPort = (web.address() as { port: number }).port;
  repo = await fixtureRepo({ 'README.md': 'sandbox fixture\n' });
  runner = await startRunner({
    redis,
    keys,
    bullPrefix,
    pipelines: (n) => (n === pipeline().metadata.name ? pipeline() : undefined),
    config: { workdir, concurrency: 1, publicUrl: 'http://127.0.0.1:1', apiToken: undefined },
    log: silentLogger(),
    exec: rec.exec,
  });
});

after(async () => {
  await runner?.close(1000).catch(() => undefined);
  await queues?.builds.obliterate({ force: true }).catch(() => undefined);
  await queues?.close();
  redis?.disconnect();
  await embedded?.stop();
  web?.close();
  await repo?.cleanup();
  for (const k of ['REGISTRY_AUTH_FILE', 'SLIPWAY_OTHER_PIPELINE_SECRET', 'SLIPWAY_REDIS_URL', 'SANDBOX_TEST_STEP_SECRET']) delete process.env[k];
  await rm(dataDir, { recursive: true, force: true });
});

const NAME = uniqueName('sandboxed');
const redisPort = () => new URL(embedded.url).port;

/** The runner's variables (and ones any node process has), as lines of an environment. */
const RUNNER_VARS = ['SLIPWAY_OTHER_PIPELINE_SECRET', 'KUBECONFIG', 'REGISTRY_AUTH_FILE', 'SLIPWAY_REDIS_URL', 'SANDBOX_TEST_STEP_SECRET', 'NODE_OPTIONS', 'npm_config_cache']
  .map((v) => `^${v}=`)
  .join('\\|');

/** Each probe prints LEAK:<what> when it finds what it must not, and OK:<what> otherwise. */
function probes(): string {
  const p = (what: string, found: string) => `if ${found}; then echo "LEAK:${what}"; else echo "OK:${what}"; fi`;
  return [
    'id',
    'echo "pid=$$ ppid=$PPID"',
    p('proc1-environ', `tr '\\0' '\\n' < /proc/1/environ 2>/dev/null | grep -q "${RUNNER_VARS}"`),
    p('ppid-environ', `tr '\\0' '\\n' < /proc/$PPID/environ 2>/dev/null | grep -q "${RUNNER_VARS}"`),
    p('any-environ', `cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -q '${RUNNER_CANARY.slice(0, 12)}'`),
    p('own-environ', `env | grep -q "${RUNNER_VARS}"`),
    p('kubeconfig', `cat "$RUNNER_KUBECONFIG" >/dev/null 2>&1`),
    p('registry-auth', `cat "$RUNNER_AUTH_FILE" >/dev/null 2>&1`),
    p('other-workspace', `cat "$OTHER_WORKSPACE/secret.txt" >/dev/null 2>&1`),
    p('other-workspaces-listed', `ls "$BUILDS_DIR" 2>/dev/null | grep -q other-pipeline`),
    p('data-folder', `ls "$DATA_DIR/redis-password" "$DATA_DIR/redis" >/dev/null 2>&1`),
    p('redis-write', `redis-cli -h 127.0.0.1 -p ${redisPort()} SET sandbox-stolen 1 2>&1 | grep -q OK`),
    p('redis-read', `redis-cli -h 127.0.0.1 -p ${redisPort()} KEYS '*' 2>&1 | grep -q bull`),
    p('write-system', 'touch /usr/sandbox-probe 2>/dev/null'),
    // still there: its own secret, the network, git in the workspace
    `test "$(printf %s "$STEP_TOKEN" | sha256sum | cut -c1-64)" = ${createHash('sha256').update(STEP_SECRET).digest('hex')} && echo "OK:own-secret"`,
    `curl -fsS http://127.0.0.1:${webPort}/ | sed 's/^/HTTP:/'`,
    'git log --oneline -1 | sed "s/^/GIT:/"',
    'echo "workspace-write" > written.txt && echo OK:workspace-write',
  ].join('\n');
}

function pipeline(): Pipeline {
  return Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: NAME },
    source: { repo: repo.url, allowLocal: true },
    test: [
      {
        name: 'snoop',
        run: ['sh', '-c', probes()],
        env: {
          RUNNER_KUBECONFIG: testenv().kubeconfig,
          RUNNER_AUTH_FILE: process.env.REGISTRY_AUTH_FILE!,
          OTHER_WORKSPACE: path.join(workdir, 'builds', 'other-pipeline-1'),
          BUILDS_DIR: path.join(workdir, 'builds'),
          DATA_DIR: dataDir,
        },
        secretEnv: { STEP_TOKEN: { env: 'SANDBOX_TEST_STEP_SECRET' } },
      },
      {
        // the step's own secret printed in every form a tool might print it
        name: 'leaky',
        run: ['node', '-e', LEAKY],
        secretEnv: { CANARY: { env: 'SANDBOX_TEST_STEP_SECRET' } },
      },
    ],
  });
}

const LEAKY = [
  'const s = process.env.CANARY;',
  'const b = (x) => Buffer.from(x).toString("base64");',
  'console.log("raw=" + s);',
  'console.log("b64=" + b(s));',
  'console.log("b64url=" + Buffer.from(s).toString("base64url"));',
  'console.log("url=" + encodeURIComponent(s));',
  'console.log("json=" + JSON.stringify({ token: s }));',
  'console.log("jsonAscii=" + JSON.stringify(s).replace(/[^ -~]/g, (c) => "\\\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")));',
  'console.log("hex=" + Buffer.from(s).toString("hex"));',
  'console.log("basic=Authorization: Basic " + b("ci:" + s));',
  'console.log("clone=fetching http://ci:" + encodeURIComponent(s) + "@127.0.0.1:3000/team/app.git");',
].join(' ');

async function waitFinal(store: BuildStore, id: string): Promise<BuildRecord> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await store.require(id);
    if (isFinal(r.status)) return r;
    if (Date.now() > deadline) throw new Error(`build ${id} still ${r.status}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

void test('a sandboxed step finds nothing of the runner, other builds or Redis, and still reaches the network', async () => {
  const store = new BuildStore(redis, keys);
  const record = await store.create({ pipeline: NAME, trigger: { type: 'manual' }, repo: repo.url, branch: 'main', sha: await repo.head() });
  await queues.builds.add('build', { buildId: record.id }, { jobId: record.id });
  const done = await waitFinal(store, record.id);
  const log = await new LogStream(redis, keys).text(record.id);
  assert.equal(done.status, 'succeeded', log);

  assert.doesNotMatch(log, /^LEAK:/m, log);
  for (const what of ['proc1-environ', 'ppid-environ', 'any-environ', 'own-environ', 'kubeconfig', 'registry-auth', 'other-workspace', 'other-workspaces-listed', 'data-folder', 'redis-write', 'redis-read', 'write-system', 'own-secret', 'workspace-write']) {
    assert.match(log, new RegExp(`^OK:${what}$`, 'm'), `${what} did not run: ${log}`);
  }
  assert.match(log, /uid=65534/);
  assert.match(log, /^HTTP:reachable-from-the-step$/m);
  assert.match(log, /^GIT:[0-9a-f]{7,} /m);
  // nothing of the runner's in the log, masked or not
  for (const canary of [RUNNER_CANARY, REGISTRY_CANARY, OTHER_CANARY, STEP_SECRET, decodeURIComponent(new URL(embedded.url).password)]) {
    assert.ok(!log.includes(canary), `${canary} in the log`);
  }
  assert.equal(await redis.exists('sandbox-stolen'), 0);

  // the leaky step's forms of its secret: masked in the log, in every Redis value and in the AOF
  for (const form of ['raw', 'b64', 'b64url', 'url', 'json', 'jsonAscii', 'hex', 'basic', 'clone']) assert.match(log, new RegExp(`^${form}=.*\\*\\*\\*`, 'm'), `${form}: ${log}`);
  const forms = [STEP_SECRET, Buffer.from(STEP_SECRET).toString('base64').slice(0, -2), Buffer.from(STEP_SECRET).toString('hex'), encodeURIComponent(STEP_SECRET), JSON.stringify(STEP_SECRET).slice(1, -1), Buffer.from(`ci:${STEP_SECRET}`).toString('base64').slice(4, -4)];
  for (const form of forms) assert.ok(!log.includes(form), `${form} in the log`);
  const values: string[] = [];
  for (const key of await redis.keys('*')) {
    const type = await redis.type(key);
    const read: Record<string, () => Promise<unknown>> = {
      string: () => redis.get(key),
      stream: () => redis.xrange(key, '-', '+'),
      hash: () => redis.hgetall(key),
      zset: () => redis.zrange(key, '0', '-1'),
      list: () => redis.lrange(key, '0', '-1'),
      set: () => redis.smembers(key),
    };
    values.push(key, JSON.stringify(await (read[type] ?? (async () => type))()));
  }
  await new Promise((r) => setTimeout(r, 1500)); // appendfsync everysec
  const aof = (await exec(['sh', '-c', `cat ${path.join(dataDir, 'redis')}/appendonlydir/* 2>/dev/null; cat ${path.join(dataDir, 'redis')}/*.aof 2>/dev/null; true`], { onLine: () => undefined })).stdout;
  assert.ok(aof.length > 0, 'the AOF was read');
  for (const form of forms) {
    assert.ok(!values.some((v) => v.includes(form)), `${form} in a Redis value`);
    assert.ok(!aof.includes(form), `${form} in the AOF`);
  }

  // the step ran through bubblewrap at the exec door
  const step = rec.calls.find((c) => c.argv.includes('sh') && c.argv.at(-1) === probes());
  assert.ok(step, 'the step ran');
  assert.match(step.argv[0]!, /bwrap$/);
  assert.equal(step.options.cleanEnv, true);
  assert.deepEqual(Object.keys(step.options.env ?? {}).sort(), [
    'BUILDS_DIR', 'BUILD_ID', 'BUILD_NUMBER', 'CI', 'DATA_DIR', 'GIT_BRANCH', 'GIT_COMMIT', 'HOME', 'OTHER_WORKSPACE', 'PATH', 'RUNNER_AUTH_FILE',
    'RUNNER_KUBECONFIG', 'SLIPWAY', 'STEP_TOKEN',
  ]);
  // other builds' workspaces are left as they were; the step's own is removed after the build
  assert.deepEqual(await readdir(path.join(workdir, 'builds')), ['other-pipeline-1']);
});

void test('where steps or custom builds cannot be isolated the runner refuses to start, unless SLIPWAY_UNSANDBOXED_STEPS=1, which it says', async () => {
  const refused = capturedLogger();
  await assert.rejects(createSandbox({ workdir, exec, log: refused.log, env: {}, bwrap: '/nonexistent/bwrap' }), /cannot be sandboxed.*SLIPWAY_UNSANDBOXED_STEPS=1/s);
  // test steps could be sandboxed, custom build commands not (their user namespace is made by unshare)
  await assert.rejects(
    createSandbox({ workdir, exec, log: refused.log, env: {}, unshare: '/nonexistent/unshare' }),
    /custom build commands cannot be sandboxed.*\/etc\/subuid.*SLIPWAY_UNSANDBOXED_STEPS=1/s,
  );
  const optedOut = capturedLogger();
  const sandbox = await createSandbox({ workdir, exec, log: optedOut.log, env: { SLIPWAY_UNSANDBOXED_STEPS: '1' }, bwrap: '/nonexistent/bwrap' });
  assert.equal(sandbox.kind, 'none');
  assert.match(optedOut.lines.join(''), /"level":40.*UNSANDBOXED/);
  const fine = capturedLogger();
  assert.equal((await createSandbox({ workdir, exec, log: fine.log, env: {} })).kind, 'bubblewrap');
  assert.match(fine.lines.join(''), /steps run sandboxed/);
});
