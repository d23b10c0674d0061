// The fault scenario of issue 12 ("And in the project itself"), shared by the fault test
// (test/e2e/fault.test.ts, reduced) and the bench (bench/fault/run.ts, 1000
// deliveries): signed Gitea push deliveries over many branches of a real git repository, with
// redeliveries (the same delivery id again) and replays (a captured push under a fresh id), sent to
// a real `slipway server` and built by two real `slipway runner` processes, against a redis-server
// of the scenario's own (AOF on, its own folder and port), while
//   1. runner A is SIGKILLed while it runs a build, and started again;
//   2. Redis is restarted (SHUTDOWN, then started again on its data: it loads its AOF);
//   3. Redis is down for `downtimeMs` (webhooks go to the server's spool meanwhile).
// Then it waits for everything to drain and judges: every accepted push ends as exactly one build in
// a final state, none stuck, no 5xx, every answer (timed by the client) under a second.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../cli/up/embedded-redis.ts';
import { ZERO_SHA } from '../../core/git-sha.ts';
import { createKeys } from '../../core/keys.ts';
import { LogStream } from '../../core/log-stream.ts';
import { isFinal, type BuildRecord } from '../../core/records.ts';
import { connectRedis } from '../../core/redis.ts';
import { exec } from '../../runner/exec.ts';
import { postHook, SECRET } from '../integration/server/harness.ts';
import { fixtureRepo, type FixtureRepo } from './fixture-repo.ts';
import { startSlipwayProcess, type SlipwayProcess } from './slipway-process.ts';

export interface FaultOptions {
  /** Webhook deliveries sent in all (new pushes, redeliveries and replays). */
  deliveries: number;
  branches: number;
  /** Share of the deliveries that are a redelivery (the same id and body again). */
  redeliveryShare?: number;
  /** Share that are a captured push re-sent under a fresh delivery id. */
  replayShare?: number;
  /** Deliveries sent per second (paced), and at most this many in flight. */
  rate: number;
  inFlight?: number;
  /** How long Redis stays down in the outage. */
  downtimeMs: number;
  /** Builds one runner process runs at once. */
  runnerConcurrency?: number;
  /** How long the drain may take after the last delivery before the rest counts as stuck. */
  drainLimitMs: number;
  seed?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export type SendKind = 'new' | 'redelivery' | 'replay';

export interface Answer {
  index: number;
  kind: SendKind;
  deliveryId: string;
  /** branch\0before\0after: what identifies a push for replay detection. */
  push: string;
  /** 0: no HTTP answer (a connection error). */
  status: number;
  body: Record<string, unknown>;
  /** Wall time from the request's start to the answer's body, as the client saw it. */
  ms: number;
  /** Started while Redis was stopped (the outage or the restart). */
  redisDown: boolean;
}

export interface FaultRun {
  options: Required<Omit<FaultOptions, 'log'>>;
  answers: Answer[];
  builds: BuildRecord[];
  /** Builds runner A had started within 150 ms when it was SIGKILLed (so mid-build), each with its log. */
  killed: { id: string; log: string }[];
  /** How many times redis-server's log says it loaded its AOF (one per restart). */
  aofLoads: number;
  /** Redis back after the outage → the server's /readyz no longer degraded (the spool replayed). */
  spoolDrainMs: number | undefined;
  /** Last delivery answered → every build final (or the drain limit). */
  drainMs: number;
  /** Wall time of the whole scenario, setup included. */
  wallMs: number;
  load: { before: number; max: number; mean: number };
}

export interface FaultVerdict {
  sent: number;
  byKind: Record<SendKind, number>;
  /** Answers 202 with builds / 202 spooled / 200 ignored (by reason) / anything else (status: count). */
  queued: number;
  spooled: number;
  ignored: Record<string, number>;
  other: Record<string, number>;
  /** Distinct pushes with at least one 202 answer: each must end as exactly one build. */
  acceptedPushes: number;
  builds: number;
  final: number;
  byStatus: Record<string, number>;
  lost: string[];
  double: string[];
  /** Builds whose push or delivery was never accepted (answered 2xx-ignored or not at all). */
  stray: string[];
  stuck: string[];
  /** Answers whose builds listed do not exist or belong to another delivery. */
  mismatched: string[];
  serverErrors: number;
  slow: number;
  latency: { all: Percentiles; redisDown: Percentiles };
}

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** mulberry32: a small seeded PRNG, so a run's plan can be repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Send {
  kind: SendKind;
  deliveryId: string;
  push: string;
  body: string;
}

const GIT_ENV = { GIT_AUTHOR_NAME: 'Fault', GIT_AUTHOR_EMAIL: 'fault@slipway.invalid', GIT_COMMITTER_NAME: 'Fault', GIT_COMMITTER_EMAIL: 'fault@slipway.invalid' };

/** Every branch's chain of commits, made in one `git fast-import`; returns each branch's shas in order. */
async function makeCommits(repo: FixtureRepo, perBranch: number[]): Promise<string[][]> {
  const base = await repo.head();
  let stream = '';
  let mark = 0;
  const marks: number[][] = [];
  perBranch.forEach((count, b) => {
    const branch = branchName(b);
    const chain: number[] = [];
    for (let i = 0; i < count; i++) {
      mark++;
      const content = `${branch}\n`;
      const message = `push ${i + 1} of ${branch}\n`;
      stream += `commit refs/heads/${branch}\nmark :${mark}\ncommitter Fault <fault@slipway.invalid> ${1_800_000_000 + mark} +0000\n`;
      stream += `data ${Buffer.byteLength(message)}\n${message}`;
      stream += i === 0 ? `from ${base}\n` : `from :${mark - 1}\n`;
      stream += `M 644 inline branch.txt\ndata ${Buffer.byteLength(content)}\n${content}M 644 inline n.txt\ndata ${String(i).length + 1}\n${i}\n\n`;
      chain.push(mark);
    }
    marks.push(chain);
  });
  const marksFile = path.join(repo.dir, '.git', 'fault-marks');
  await exec(['git', '-C', repo.dir, 'fast-import', '--quiet', `--export-marks=${marksFile}`], { input: stream, env: GIT_ENV, timeoutMs: 120_000 });
  const sha = new Map<number, string>();
  for (const line of (await readFile(marksFile, 'utf8')).split('\n')) {
    const [m, s] = line.split(' ');
    if (m && s) sha.set(Number(m.slice(1)), s);
  }
  return marks.map((chain) => chain.map((m) => sha.get(m)!));
}

const branchName = (b: number) => `feature-${String(b).padStart(3, '0')}`;

function giteaPush(repoUrl: string, branch: string, before: string, after: string, message: string): Record<string, unknown> {
  const commit = { id: after, message, author: { name: 'Fault', email: 'fault@slipway.invalid', username: 'fault' }, added: [], removed: [], modified: ['branch.txt', 'n.txt'] };
  return {
    ref: `refs/heads/${branch}`,
    before,
    after,
    commits: [commit],
    total_commits: 1,
    head_commit: commit,
    repository: { name: 'app', full_name: 'fault/app', clone_url: repoUrl, html_url: repoUrl },
    pusher: { username: 'fault' },
    sender: { username: 'fault' },
  };
}

/** The order of the deliveries: each branch's pushes in order, interleaved at random, with redeliveries and replays of recent ones. */
function planSends(opts: Required<Omit<FaultOptions, 'log'>>, repoUrl: string, shas: string[][], rand: () => number): Send[] {
  const redeliveries = Math.round(opts.deliveries * opts.redeliveryShare);
  const replays = Math.round(opts.deliveries * opts.replayShare);
  const next = shas.map(() => 0);
  const sends: Send[] = [];
  const originals: Send[] = [];
  let r = redeliveries;
  let c = replays;
  let id = 0;
  while (sends.length < opts.deliveries) {
    const left = opts.deliveries - sends.length;
    const pick = rand() * left;
    if (originals.length > 3 && pick < r + c) {
      // a recent delivery: a forge retrying after a timeout, or a captured request re-sent
      const of = originals[Math.max(0, originals.length - 1 - Math.floor(rand() * 20))]!;
      if (pick < r) {
        r--;
        sends.push({ ...of, kind: 'redelivery' });
      } else {
        c--;
        sends.push({ ...of, kind: 'replay', deliveryId: `fault-${++id}` });
      }
      continue;
    }
    const open = next.map((n, b) => (n < shas[b]!.length ? b : -1)).filter((b) => b >= 0);
    const b = open[Math.floor(rand() * open.length)]!;
    const i = next[b]!++;
    const branch = branchName(b);
    const before = i === 0 ? ZERO_SHA : shas[b]![i - 1]!;
    const after = shas[b]![i]!;
    const send: Send = {
      kind: 'new',
      deliveryId: `fault-${++id}`,
      push: `${branch}\u0000${before}\u0000${after}`,
      body: JSON.stringify(giteaPush(repoUrl, branch, before, after, `push ${i + 1} of ${branch}\n`)),
    };
    originals.push(send);
    sends.push(send);
  }
  return sends;
}

/** Runs the scenario; throws only when it could not be set up (the verdict judges the rest). */
export async function runFaultScenario(given: FaultOptions): Promise<FaultRun> {
  const opts: Required<Omit<FaultOptions, 'log'>> = { redeliveryShare: 0.1, replayShare: 0.05, inFlight: 8, runnerConcurrency: 2, seed: 12, ...given };
  const say = given.log ?? (() => undefined);
  const t0 = performance.now();
  const rand = prng(opts.seed);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-fault-'));
  const loads: number[] = [];
  const loadBefore = os.loadavg()[0]!;
  const loadTimer = setInterval(() => loads.push(os.loadavg()[0]!), 1000);
  const procs: SlipwayProcess[] = [];
  let redisServer: EmbeddedRedis | undefined;
  let repo: FixtureRepo | undefined;
  try {
    redisServer = await startEmbeddedRedis({ dataDir: path.join(dir, 'data'), exec });
    repo = await fixtureRepo({ 'branch.txt': 'main\n' });
    const pushes = opts.deliveries - Math.round(opts.deliveries * opts.redeliveryShare) - Math.round(opts.deliveries * opts.replayShare);
    const perBranch = Array.from({ length: opts.branches }, (_v, b) => Math.floor(pushes / opts.branches) + (b < pushes % opts.branches ? 1 : 0));
    const shas = await makeCommits(repo, perBranch);
    const sends = planSends(opts, repo.url, shas, rand);
    say(`${sends.length} deliveries planned over ${opts.branches} branches (${pushes} pushes)`);

    await mkdir(path.join(dir, 'pipelines'));
    // poll off: the builds are the webhooks' (a poll would find the branch heads and build them too)
    await writeFile(
      path.join(dir, 'pipelines', 'fault.yaml'),
      `apiVersion: slipway/v1
kind: Pipeline
metadata: { name: fault }
source: { repo: "${repo.url}", allowLocal: true, secret: { env: FAULT_HOOK_SECRET } }
on: { push: { poll: "0" } }
test:
  - { name: branch, run: [sh, -c, 'test "$(cat branch.txt)" = "$GIT_BRANCH" && sleep 0.3'] }
`,
    );
    const env = (name: string): Record<string, string> => ({
      SLIPWAY_REDIS_URL: redisServer!.url,
      SLIPWAY_KEY_PREFIX: 'fault:',
      SLIPWAY_API_TOKEN: 'fault-token-91c3',
      SLIPWAY_PORT: '0',
      SLIPWAY_DATA_DIR: path.join(dir, 'data'),
      SLIPWAY_PIPELINES: path.join(dir, 'pipelines'),
      SLIPWAY_WORKDIR: path.join(dir, `work-${name}`),
      SLIPWAY_CONCURRENCY: String(opts.runnerConcurrency),
      SLIPWAY_STOP_GRACE_MS: '5000',
      SLIPWAY_LOG_LEVEL: 'info',
      FAULT_HOOK_SECRET: SECRET,
      // no cluster: builds have no deploy, and the environment keeper is not started
      KUBECONFIG: path.join(dir, 'no-kubeconfig'),
    });
    const start = (command: 'server' | 'runner', name: string, onLine?: (line: string) => void) => {
      const p = startSlipwayProcess(command, { cwd: dir, env: env(name), ready: command === 'server' ? /server listening/ : /runner listening for builds/, timeoutMs: 30 * 60_000, ...(onLine ? { onLine } : {}) });
      procs.push(p);
      return p;
    };
    // runner A's running builds (and when each started), from its log lines
    const activeOnA = new Map<string, number>();
    const watchA = (line: string) => {
      if (!line.startsWith('{')) return;
      const l = JSON.parse(line) as { msg?: string; build?: string };
      if (l.msg === 'build started' && l.build) activeOnA.set(l.build, performance.now());
      if (l.msg === 'build finished' && l.build) activeOnA.delete(l.build);
    };
    const server = start('server', 'server');
    let runnerA = start('runner', 'runner-a', watchA);
    const runnerB = start('runner', 'runner-b');
    const url = (JSON.parse(await server.ready) as { url: string }).url;
    await Promise.all([runnerA.ready, runnerB.ready]);
    say(`server at ${url}, two runners ready (${Math.round(performance.now() - t0)} ms)`);

    // Redis down windows (performance.now() times), for the answers' redisDown.
    const down: { from: number; to: number }[] = [];
    const stopRedis = async () => {
      down.push({ from: performance.now(), to: Infinity });
      await redisServer!.stop();
    };
    const startRedis = async () => {
      redisServer = await startEmbeddedRedis({ dataDir: path.join(dir, 'data'), exec }); // the same port, its AOF
      down.at(-1)!.to = performance.now();
    };
    const killed: string[] = [];
    let spoolDrainMs: number | undefined;
    const faults: Promise<void>[] = [];
    const readyzOk = async () => {
      try {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
        return res.status === 200 && JSON.stringify(await res.json()) === '{"ok":true}';
      } catch {
        return false;
      }
    };
    const fault: Record<number, () => Promise<void>> = {
      // early, so that BullMQ's stalled-job check (a lock of 30 s, checked every 30 s) hands its
      // builds over while the rest is still being sent
      [Math.floor(sends.length * 0.05)]: async () => {
        // a build that started within 150 ms is still in its step (which sleeps 0.3 s): killed mid-build
        const fresh = () => [...activeOnA].filter(([, at]) => performance.now() - at < 150).map(([id]) => id);
        for (let i = 0; i < 1000 && fresh().length === 0; i++) await sleep(10);
        killed.push(...fresh());
        process.kill(runnerA.pid()!, 'SIGKILL');
        await runnerA.done.catch(() => undefined); // exec rejects for a child killed by a signal
        say(`runner A SIGKILLed while running ${killed.join(', ') || 'nothing'}; starting it again`);
        activeOnA.clear();
        runnerA = start('runner', 'runner-a', watchA);
        await runnerA.ready;
        say('runner A is back');
      },
      [Math.floor(sends.length * 0.45)]: async () => {
        await stopRedis();
        await startRedis();
        say('redis restarted from its AOF');
      },
      [Math.floor(sends.length * 0.65)]: async () => {
        await stopRedis();
        say(`redis stopped for ${opts.downtimeMs} ms`);
        await sleep(opts.downtimeMs);
        await startRedis();
        const back = performance.now();
        say('redis is back');
        while (!(await readyzOk())) await sleep(100);
        spoolDrainMs = performance.now() - back;
        say(`spool replayed ${Math.round(spoolDrainMs)} ms after redis came back`);
      },
    };

    const answers: Answer[] = [];
    const sendStart = performance.now();
    let nextIndex = 0;
    const worker = async () => {
      for (;;) {
        const index = nextIndex++;
        if (index >= sends.length) return;
        const wait = sendStart + (index * 1000) / opts.rate - performance.now();
        if (wait > 0) await sleep(wait);
        const f = fault[index];
        if (f) faults.push(f());
        const s = sends[index]!;
        const began = performance.now();
        const redisDown = down.some((w) => began >= w.from && began <= w.to);
        let status = 0;
        let body: Record<string, unknown> = {};
        try {
          ({ status, body } = await postHook(url, 'gitea', undefined, { body: s.body, delivery: s.deliveryId }));
        } catch (err) {
          body = { error: String(err) };
        }
        answers.push({ index, kind: s.kind, deliveryId: s.deliveryId, push: s.push, status, body, ms: performance.now() - began, redisDown });
      }
    };
    await Promise.all(Array.from({ length: opts.inFlight }, worker));
    await Promise.all(faults);
    const lastAnswer = performance.now();
    say(`${answers.length} deliveries answered in ${Math.round(lastAnswer - sendStart)} ms; draining`);

    const redis = connectRedis(redisServer.url);
    const keys = createKeys('fault:');
    const readBuilds = async (): Promise<BuildRecord[]> => {
      const ids = await redis.zrange(keys.builds('fault'), '0', '-1');
      const out: BuildRecord[] = [];
      for (let i = 0; i < ids.length; i += 500) {
        for (const raw of await redis.mget(ids.slice(i, i + 500).map((id) => keys.build(id)))) if (raw) out.push(JSON.parse(raw) as BuildRecord);
      }
      return out;
    };
    let builds: BuildRecord[] = [];
    for (;;) {
      builds = await readBuilds();
      if (builds.every((b) => isFinal(b.status)) && (await readyzOk())) break;
      if (performance.now() - lastAnswer > opts.drainLimitMs) break;
      await sleep(200);
    }
    const drainMs = performance.now() - lastAnswer;
    const logs = new LogStream(redis, keys);
    const killedLogs = await Promise.all(killed.map(async (id) => ({ id, log: await logs.text(id) })));
    redis.disconnect();
    const redisLog = await readFile(path.join(redisServer.dir, 'redis.log'), 'utf8');
    const aofLoads = redisLog.split('\n').filter((l) => /DB loaded from append only file/.test(l)).length;
    say(`drained in ${Math.round(drainMs)} ms: ${builds.length} builds`);
    return {
      options: opts,
      answers,
      builds,
      killed: killedLogs,
      aofLoads,
      spoolDrainMs,
      drainMs,
      wallMs: performance.now() - t0,
      load: { before: loadBefore, max: Math.max(loadBefore, ...loads), mean: loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : loadBefore },
    };
  } finally {
    clearInterval(loadTimer);
    // only processes still running are signalled (an exited one's pid may belong to another by now)
    const running = new Set(procs);
    const exits = procs.map((p) => p.done.catch(() => undefined).then(() => running.delete(p)));
    const signal = (sig: NodeJS.Signals) => {
      for (const p of running) {
        try {
          process.kill(p.pid()!, sig);
        } catch {
          // exited meanwhile
        }
      }
    };
    signal('SIGTERM');
    // not ref'd: the bound must not keep the process alive once everything has exited
    await Promise.race([Promise.all(exits), sleep(20_000, undefined, { ref: false })]);
    signal('SIGKILL');
    await redisServer?.stop().catch(() => undefined);
    await repo?.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}

function percentiles(xs: number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : 0);
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: s.length ? s[s.length - 1]! : 0 };
}

/** What the run shows: the promises checked (lost, double, stray, stuck, mismatched, 5xx, slow) and the figures. */
export function judge(run: FaultRun): FaultVerdict {
  const byKind: Record<SendKind, number> = { new: 0, redelivery: 0, replay: 0 };
  const ignored: Record<string, number> = {};
  const other: Record<string, number> = {};
  const acceptedPushes = new Set<string>();
  const acceptedDeliveries = new Set<string>();
  let queued = 0;
  let spooled = 0;
  for (const a of run.answers) {
    byKind[a.kind]++;
    if (a.status === 202) {
      acceptedPushes.add(a.push);
      acceptedDeliveries.add(a.deliveryId);
      if (a.body.spooled === true) spooled++;
      else queued++;
    } else if (a.status === 200 && typeof a.body.ignored === 'string') ignored[a.body.ignored] = (ignored[a.body.ignored] ?? 0) + 1;
    else other[String(a.status)] = (other[String(a.status)] ?? 0) + 1;
  }
  const pushOf = (b: BuildRecord) => `${b.branch ?? ''}\u0000${b.before ?? ''}\u0000${b.sha}`;
  const perPush = new Map<string, BuildRecord[]>();
  for (const b of run.builds) perPush.set(pushOf(b), [...(perPush.get(pushOf(b)) ?? []), b]);
  const byId = new Map(run.builds.map((b) => [b.id, b]));
  const mismatched: string[] = [];
  for (const a of run.answers) {
    if (a.status !== 202 || a.body.spooled === true) continue;
    for (const { id } of (a.body.builds as { id: string }[] | undefined) ?? []) {
      const b = byId.get(id);
      if (!b || pushOf(b) !== a.push) mismatched.push(`${a.deliveryId} → ${id}`);
    }
  }
  const byStatus: Record<string, number> = {};
  for (const b of run.builds) {
    const key = b.status === 'cancelled' && b.reason?.startsWith('superseded by') ? 'cancelled (superseded)' : b.status;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  const label = (push: string) => push.split('\u0000').map((p, i) => (i ? p.slice(0, 8) : p)).join(' ');
  return {
    sent: run.answers.length,
    byKind,
    queued,
    spooled,
    ignored,
    other,
    acceptedPushes: acceptedPushes.size,
    builds: run.builds.length,
    final: run.builds.filter((b) => isFinal(b.status)).length,
    byStatus,
    lost: [...acceptedPushes].filter((p) => !perPush.has(p)).map(label),
    double: [...perPush].filter(([, bs]) => bs.length > 1).map(([p, bs]) => `${label(p)}: ${bs.map((b) => b.id).join(', ')}`),
    stray: run.builds.filter((b) => !acceptedPushes.has(pushOf(b)) || !acceptedDeliveries.has(b.trigger.deliveryId ?? '')).map((b) => b.id),
    stuck: run.builds.filter((b) => !isFinal(b.status)).map((b) => `${b.id} ${b.status}`),
    mismatched,
    serverErrors: run.answers.filter((a) => a.status >= 500 || a.status === 0).length,
    slow: run.answers.filter((a) => a.ms >= 1000).length,
    latency: { all: percentiles(run.answers.map((a) => a.ms)), redisDown: percentiles(run.answers.filter((a) => a.redisDown).map((a) => a.ms)) },
  };
}
