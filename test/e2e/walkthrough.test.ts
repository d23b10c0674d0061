// The README's walk-through, as written: `slipway up --local-cluster`, a push to the demo
// repository builds and deploys into the branch's namespace, a second branch gets a second
// environment, deleting a branch removes its environment, Ctrl-C stops everything `up` started,
// and a second `up` still has the first run's builds.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { BuildRecord, EnvironmentRecord } from '../../core/records.ts';
import { exec, type ExecResult } from '../../runner/exec.ts';
import { createLocalGit } from '../../cli/up/local-git.ts';
import { eventually } from '../helpers/eventually.ts';
import { ROOT, testenv, uniqueName } from '../helpers/testenv.ts';

const env = testenv();
/** How long a build or a teardown may take here before the test gives up. */
const LIMIT = 180_000;
const git = createLocalGit();
const dataDir = await mkdtemp(path.join(tmpdir(), 'slipway-e2e-'));
// Each run pushes under a repository of its own: the test registry outlives the run, and a fresh
// data folder numbers builds from 1 again, whose tags an earlier run already holds (tags are immutable).
const defaultRepo = `${env.registry}/${uniqueName('e2e')}`;
const kube = (...args: string[]) => exec(['kubectl', '--kubeconfig', env.kubeconfig, ...args], { allowFailure: true, timeoutMs: 30_000 });

interface Up {
  url: string;
  token: string;
  pid: number;
  output: string[];
  done: Promise<ExecResult>;
  stop(): Promise<ExecResult>;
}

/** Starts `slipway up` as a user would and waits for its "Slipway is up." summary. */
async function startUp(extraEnv: Record<string, string | undefined> = {}, args = ['--local-cluster'], dir = dataDir): Promise<Up> {
  const output: string[] = [];
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const done = exec(['node', '--import', 'tsx', path.join(ROOT, 'cli/bin.ts'), 'up', ...args], {
    cwd: ROOT,
    env: { SLIPWAY_DATA_DIR: dir, SLIPWAY_PORT: '0', SLIPWAY_REDIS_URL: undefined, SLIPWAY_API_TOKEN: undefined, SLIPWAY_LOG_LEVEL: 'warn', SLIPWAY_DEFAULT_REPO: defaultRepo, ...extraEnv },
    allowFailure: true,
    timeoutMs: 15 * 60_000,
    onLine: (line) => {
      output.push(line);
      if (line.startsWith('Slipway is up.')) ready();
    },
  });
  let readyYet = false;
  void isReady.then(() => (readyYet = true));
  // after start-up, up's exit is the test's business (stop()), not a failure of its start
  const exitedEarly = done.then((r) =>
    readyYet ? new Promise<never>(() => undefined) : assert.fail(`up exited (${r.exitCode}) before it was ready:\n${output.join('\n')}`),
  );
  await Promise.race([isReady, exitedEarly]);
  const url = /dashboard and API\s+(\S+)\//.exec(output.join('\n'))?.[1];
  assert.ok(url, output.join('\n'));
  const { pid } = JSON.parse(readFileSync(path.join(dir, 'up.json'), 'utf8')) as { pid: number };
  const token = readFileSync(path.join(dir, 'token'), 'utf8').trim();
  return {
    url,
    token,
    pid,
    output,
    done,
    async stop() {
      process.kill(pid, 'SIGINT');
      return done;
    },
  };
}

async function builds(up: Up, branch?: string): Promise<BuildRecord[]> {
  const q = branch ? `?branch=${encodeURIComponent(branch)}` : '';
  const res = await fetch(`${up.url}/api/pipelines/demo-app/builds${q}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { builds: BuildRecord[] }).builds;
}

async function finishedBuild(up: Up, branch: string): Promise<BuildRecord> {
  return eventually(async () => {
    const [b] = await builds(up, branch);
    return b && ['succeeded', 'failed', 'cancelled'].includes(b.status) ? b : undefined;
  }, `the build of ${branch}`, LIMIT);
}

async function environments(up: Up): Promise<EnvironmentRecord[]> {
  const res = await fetch(`${up.url}/api/environments?include=deleted`);
  return ((await res.json()) as { environments: EnvironmentRecord[] }).environments;
}

const pushBranch = async (workdir: string, branch: string, line: string) => {
  await appendFile(path.join(workdir, 'index.html'), `<p>${line}</p>\n`);
  await git.commitAll(workdir, `change for ${branch}`, { name: 'e2e', email: 'e2e@slipway.invalid' });
  await git.push(workdir, 'origin', `HEAD:refs/heads/${branch}`);
};

const started: Up[] = [];
after(async () => {
  for (const up of started) {
    try {
      process.kill(up.pid, 'SIGINT');
      await up.done;
    } catch {
      // already stopped
    }
  }
  await rm(dataDir, { recursive: true, force: true });
});

void test('the walk-through: push → build → Ready in the branch namespace → second branch → delete → gone → stop', async () => {
  const up = await startUp();
  started.push(up);
  const page = await fetch(`${up.url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>Slipway<\/title>/, 'the dashboard is served at the printed URL');
  const workdir = path.join(dataDir, 'demo', 'demo-app');
  assert.ok(existsSync(path.join(workdir, 'index.html')), 'up made the demo repository');

  const first = uniqueName('feature');
  const second = uniqueName('other');
  await pushBranch(workdir, first, 'first');
  const b1 = await finishedBuild(up, first);
  const log1 = await (await fetch(`${up.url}/api/builds/${b1.id}/log`)).text();
  assert.equal(b1.status, 'succeeded', log1);
  const ns1 = b1.environment?.namespace;
  assert.ok(ns1, 'the build names its environment');
  const ready = await kube('get', 'deployment', 'demo-app', '-n', ns1, '-o', 'jsonpath={.status.readyReplicas}');
  assert.equal(ready.stdout.trim(), '1', `Deployment Ready in ${ns1}`);

  await pushBranch(workdir, second, 'second');
  const b2 = await finishedBuild(up, second);
  assert.equal(b2.status, 'succeeded');
  const ns2 = b2.environment?.namespace;
  assert.ok(ns2 && ns2 !== ns1, 'each branch has its own namespace');
  const live = (await environments(up)).filter((e) => e.status !== 'deleted').map((e) => e.namespace);
  assert.ok(live.includes(ns1) && live.includes(ns2), `two environments: ${live.join(', ')}`);

  // delete the first branch: its environment goes, the second stays
  await git.push(workdir, 'origin', `:refs/heads/${first}`);
  await eventually(async () => (await kube('get', 'namespace', ns1)).exitCode !== 0, `namespace ${ns1} gone`, LIMIT);
  const gone = await eventually(async () => {
    const e = (await environments(up)).find((x) => x.namespace === ns1);
    return e?.status === 'deleted' ? e : undefined;
  }, `environment of ${first} deleted`, LIMIT);
  assert.match(gone.deletedReason ?? '', /deleted/);
  assert.equal((await kube('get', 'namespace', ns2)).exitCode, 0, 'the other branch keeps its environment');

  // Ctrl-C stops everything up started: the embedded Redis is gone too
  const redisPid = Number(readFileSync(path.join(dataDir, 'redis', 'redis.pid'), 'utf8'));
  const stopped = await up.stop();
  started.pop();
  assert.equal(stopped.exitCode, 0, up.output.join('\n'));
  assert.throws(() => process.kill(redisPid, 0), 'redis-server is stopped');
  assert.throws(() => process.kill(up.pid, 0), 'up has exited');

  // a second up reuses the data folder: the first run's builds are still there
  const again = await startUp();
  started.push(again);
  const history = await builds(again);
  for (const id of [b1.id, b2.id]) assert.ok(history.some((b) => b.id === id), `${id} survived the restart`);
  await git.push(workdir, 'origin', `:refs/heads/${second}`);
  await eventually(async () => (await kube('get', 'namespace', ns2)).exitCode !== 0, `namespace ${ns2} gone`, LIMIT);
  assert.equal((await again.stop()).exitCode, 0);
  started.pop();
});

void test('up with an unreachable SLIPWAY_REDIS_URL fails naming it', async () => {
  const res = await exec(['node', '--import', 'tsx', path.join(ROOT, 'cli/bin.ts'), 'up'], {
    cwd: ROOT,
    env: { SLIPWAY_DATA_DIR: dataDir, SLIPWAY_PORT: '0', SLIPWAY_REDIS_URL: 'redis://:hunter2@127.0.0.1:1/0', SLIPWAY_REDIS_WAIT_MS: '1000' },
    allowFailure: true,
    timeoutMs: 60_000,
  });
  assert.equal(res.exitCode, 1);
  assert.match(res.stderr, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0/);
  assert.doesNotMatch(res.stderr + res.stdout, /hunter2/, 'the password is not printed');
});

void test('up without a usable kubeconfig says so, and still starts and stops', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-e2e-nokube-'));
  try {
    const up = await startUp({ KUBECONFIG: path.join(dir, 'missing-kubeconfig') }, [], dir);
    started.push(up);
    const text = up.output.join('\n');
    assert.match(text, /no usable Kubernetes cluster \(KUBECONFIG=.*missing-kubeconfig\); deploys will fail/);
    assert.match(text, /--local-cluster/, 'it says how to get a cluster');
    assert.equal((await fetch(`${up.url}/readyz`)).status, 200);
    assert.equal((await up.stop()).exitCode, 0);
    started.pop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
