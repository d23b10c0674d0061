// Cancellation and crashes: a cancel kills the running step's process group and ends the build
// 'cancelled'; a runner SIGKILLed mid-build does not leave its build 'running' — another runner
// re-runs it once (the log says so), or fails it with reason 'runner lost' — and the next runner
// on the machine kills the step processes the lost one left running.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { publishCancel } from '../../../core/cancel.ts';
import { exec } from '../../../runner/exec.ts';
import { RUNNER_LOST } from '../../../runner/worker.ts';
import { eventually } from '../../helpers/eventually.ts';
import { forgeStandIn } from '../../helpers/forge-stand-in.ts';
import { alive, gone } from '../../helpers/processes.ts';
import { ROOT, testenv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

/**
 * The host pid of a build's sleeping step. The step runs in a PID namespace of its own
 * (runner/sandbox.ts), so the `$$` it prints is not a pid here: it is found by its environment.
 */
async function stepPid(buildId: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        if (cmd.startsWith('sleep\0') && readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`BUILD_ID=${buildId}`)) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
    await sleep(50);
  }
  throw new Error(`no step process of ${buildId}`);
}

/** A pipeline with one long step (no image, no deploy) that prints its pid. */
function longStep(h: RunnerHarness, script = 'echo "pid $$"; exec sleep 300', extra: Record<string, unknown> = {}) {
  return h.pipeline({ build: { artifacts: [] }, deploy: {}, test: [{ name: 'long', run: ['sh', '-c', script] }], ...extra });
}

void test('cancel during a long step: the build ends cancelled with the reason and its process is gone', async () => {
  const h = await runnerHarness();
  try {
    const pipeline = longStep(h);
    await h.runner([pipeline]);
    const build = await h.enqueue(pipeline);
    await h.waitLog(build.id, /pid (\d+)/);
    const pid = await stepPid(build.id);
    assert.ok(alive(pid));
    await h.store.update(build.id, (r) => ({ ...r, cancelRequested: 'cancelled by a test' }));
    await publishCancel(h.redis, h.keys, { buildId: build.id, reason: 'cancelled by a test' });
    const done = await h.waitFinal(build.id);
    assert.equal(done.status, 'cancelled');
    assert.equal(done.reason, 'cancelled by a test');
    assert.equal(done.stages.find((s) => s.name === 'test')!.status, 'cancelled');
    assert.ok(await gone(pid), 'the step is still running');
    await eventually(async () => (await h.logs.read(build.id)).at(-1)?.status === 'cancelled' || undefined, "the log's final status");
  } finally {
    await h.cleanup();
  }
});

/** How the runners of the crash tests find a lost runner: quickly. */
const LOST_FAST = { lockDurationMs: 1000, stalledIntervalMs: 500 };

/**
 * A runner in a process of its own, SIGKILLed while the build's step runs. `maxStalledCount` is
 * the re-run limit of the runner the test starts next, and this one's too: both look for stalled
 * jobs, and this one may put the build back in the queue before it is killed (its lock lapsed on
 * a loaded machine), counting the stall under its own limit. With two limits, which one applies
 * would depend on timing; installed runners all have the same.
 */
async function crashedRunner(h: RunnerHarness, pipelineScript: string, extra: Record<string, unknown> = {}, maxStalledCount = 1) {
  const pipeline = longStep(h, pipelineScript, extra);
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-crash-'));
  const file = path.join(dir, 'pipelines.json');
  await writeFile(file, JSON.stringify([pipeline]));
  const ac = new AbortController();
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const child = exec(['node', '--import', 'tsx', path.join(ROOT, 'test/fixtures/runner-process.ts')], {
    cwd: ROOT,
    signal: ac.signal,
    killSignal: 'SIGKILL',
    env: {
      RUNNER_PIPELINES_FILE: file,
      RUNNER_REDIS_URL: testenv().redisUrl,
      RUNNER_KEY_PREFIX: h.keys.prefix,
      RUNNER_BULL_PREFIX: h.bullPrefix,
      RUNNER_WORKDIR: h.workdir,
      RUNNER_LOCK_DURATION_MS: String(LOST_FAST.lockDurationMs),
      RUNNER_STALLED_INTERVAL_MS: String(LOST_FAST.stalledIntervalMs),
      RUNNER_MAX_STALLED_COUNT: String(maxStalledCount),
    },
    onLine: (l) => l === 'runner ready' && ready(),
  }).catch((e: unknown) => e);
  await started;
  const build = await h.enqueue(pipeline);
  await h.waitLog(build.id, /pid (\d+)/);
  const pid = await stepPid(build.id);
  assert.equal((await h.store.require(build.id)).status, 'running');
  ac.abort(); // SIGKILL to the runner's process group
  await child;
  // the step runs in a process group of its own: it outlived the runner
  assert.ok(alive(pid));
  await rm(dir, { recursive: true, force: true });
  return { pipeline, build, pid, runnerOpts: { ...LOST_FAST, maxStalledCount } };
}

void test('a runner SIGKILLed mid-build: another runner re-runs the build, and the log says so', async () => {
  const h = await runnerHarness();
  // Which run this is, told over HTTP: a sandboxed step cannot leave a marker outside its workspace.
  let runs = 0;
  const counter = createServer((_req, res) => res.end(String(++runs)));
  await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
  const runUrl = `http://127.0.0.1:${(counter.address() as { port: number }).port}/`;
  try {
    // the first run hangs (and is killed); the re-run is told it is the second and passes
    const crash = await crashedRunner(h, `if [ "$(curl -fsS ${runUrl})" != 1 ]; then echo second run; else echo "pid $$"; exec sleep 300; fi`);
    await h.runner([crash.pipeline], crash.runnerOpts);
    assert.ok(await gone(crash.pid), 'the next runner on this machine kills what the lost one left running');
    const done = await h.waitFinal(crash.build.id);
    const log = await h.logs.text(crash.build.id);
    assert.equal(done.status, 'succeeded', log);
    assert.match(log, new RegExp(`${RUNNER_LOST}: the previous runner stopped mid-build; running it again`));
    assert.match(log, /second run/);
  } finally {
    counter.close();
    await h.cleanup();
  }
});

void test('a runner SIGKILLed mid-build past the re-run limit: the build fails with reason "runner lost"', async () => {
  const h = await runnerHarness();
  try {
    const crash = await crashedRunner(h, 'echo "pid $$"; exec sleep 300', {}, 0);
    await h.runner([crash.pipeline], crash.runnerOpts);
    assert.ok(await gone(crash.pid));
    const done = await h.waitFinal(crash.build.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, RUNNER_LOST);
    // the log ends with the status right after the record is final (finish writes the record first)
    await eventually(async () => (await h.logs.read(crash.build.id)).at(-1)?.status === 'failed' || undefined, "the log's final status");
    // the step that was running when the runner died ended with the build (issue 12 item 8)
    assert.deepEqual(done.stages.filter((st) => st.status === 'pending' || st.status === 'running'), []);
    assert.equal(done.stages.find((st) => st.name === 'test')?.status, 'failed');
  } finally {
    await h.cleanup();
  }
});

void test('a build whose runner died mid-checkout and which was then superseded ends with no stage pending or running', async () => {
  const h = await runnerHarness();
  try {
    const pipeline = longStep(h);
    const build = await h.store.create({ pipeline: pipeline.metadata.name, trigger: { type: 'push' }, repo: pipeline.source.repo, branch: 'main', sha: await h.repo.head() });
    // what a runner killed mid-checkout leaves, after a newer push asked it to stop
    await h.store.update(build.id, (r) => ({
      ...r,
      status: 'running',
      startedAt: new Date().toISOString(),
      cancelRequested: `superseded by ${pipeline.metadata.name}-99`,
      stages: [
        { name: 'checkout', status: 'running', startedAt: new Date().toISOString() },
        { name: 'build', status: 'pending' },
        { name: 'test', status: 'pending' },
        { name: 'deploy', status: 'pending' },
        { name: 'report', status: 'pending' },
      ],
    }));
    await h.queues.builds.add('build', { buildId: build.id }, { jobId: build.id });
    await h.runner([pipeline]);
    const done = await h.waitFinal(build.id);
    assert.equal(done.status, 'cancelled');
    assert.deepEqual(
      done.stages.map((st) => [st.name, st.status]),
      [['checkout', 'cancelled'], ['build', 'skipped'], ['test', 'skipped'], ['deploy', 'skipped'], ['report', 'skipped']],
    );
  } finally {
    await h.cleanup();
  }
});

void test('a build ended by a lost runner sends its final status, and no pending one after it', async () => {
  const h = await runnerHarness();
  const forge = await forgeStandIn(201);
  process.env.RT_LOST_TOKEN = 'lost-token-0b7d';
  try {
    const status = { forge: 'github', apiUrl: forge.url, token: { env: 'RT_LOST_TOKEN' } };
    const crash = await crashedRunner(h, 'echo "pid $$"; exec sleep 300', { source: { repo: h.repo.url, allowLocal: true, status } }, 0);
    await h.runner([crash.pipeline], crash.runnerOpts);
    const done = await h.waitFinal(crash.build.id);
    assert.equal(done.reason, RUNNER_LOST);
    await eventually(async () => forge.seen.some((s) => s.body.state === 'failure') || undefined, 'the final status');
    await sleep(500);
    const states = forge.seen.map((s) => [s.body.state, s.body.description]);
    assert.deepEqual(states.at(-1), ['failure', RUNNER_LOST]);
    assert.equal(states.filter(([state]) => state === 'failure').length, 1);
  } finally {
    await forge.close();
    await h.cleanup();
  }
});
