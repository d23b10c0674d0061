// Webhook intake benchmark: Slipway's server against a bare baseline in the same run, with
// autocannon. Latency at a fixed 500 requests/s, then saturation throughput, measured in short
// slices that take turns between the servers (this machine's speed drifts from one minute to the
// next; interleaving spreads the drift over all of them). Every request has its own delivery id,
// so dedupe never short-circuits. Two scenarios: every push to one branch (each new build
// supersedes the previous one) and every push to a branch of its own (nothing to supersede).
// Writes bench/webhook/RESULTS.md, and appends the run's ratios to bench/webhook/runs.tsv: one run
// is not the figure on a machine like this one, every run on record is.
//
//   node --import tsx bench/webhook/run.ts      (SLIPWAY_BENCH_REDIS_URL, else the testenv's Redis)
// BENCH_DURATION, BENCH_CONNECTIONS, BENCH_SLICES and BENCH_SLICE_SECONDS are read as Slipway's own
// number settings are (core/config.ts): decimal digits in range, else an error naming the variable.
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import examples from '@octokit/webhooks-examples/api.github.com/index.json' with { type: 'json' };
import { Redis } from 'ioredis';
import { integerSetting } from '../../core/config.ts';
import { exec } from '../../runner/exec.ts';
import { hmacHex } from '../../server/webhooks/signature.ts';
import { deletePrefix, testenv } from '../../test/helpers/testenv.ts';
import type { TargetData } from './target.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SECRET = 'bench-secret';
const DURATION = integerSetting(process.env, 'BENCH_DURATION', 10, 1, 3600);
const CONNECTIONS = integerSetting(process.env, 'BENCH_CONNECTIONS', 50, 1, 10_000);
/** Saturation slices per server and scenario, and their length in seconds. */
const SLICES = integerSetting(process.env, 'BENCH_SLICES', 16, 1, 1000);
const SLICE_SECONDS = integerSetting(process.env, 'BENCH_SLICE_SECONDS', 3, 1, 600);
const RATE = 500;

const redisUrl = process.env.SLIPWAY_BENCH_REDIS_URL ?? testenv().redisUrl;
const pushes = (examples as { name: string; examples: Record<string, unknown>[] }[]).find((e) => e.name === 'push')!.examples;
const example = pushes.find((e) => e.ref === 'refs/heads/master' && e.deleted === false)!;
const pipelineYaml = `apiVersion: slipway/v1
kind: Pipeline
metadata:
  name: bench
source:
  repo: https://github.com/Codertocat/Hello-World.git
  secret: { env: BENCH_SECRET }
`;

type Scenario = 'one-branch' | 'new-branch';
interface Signed {
  body: string;
  signature: string;
}
const sign = (ref: string): Signed => {
  const body = JSON.stringify({ ...example, ref });
  return { body, signature: `sha256=${hmacHex(SECRET, Buffer.from(body))}` };
};
const ONE_BRANCH = sign('refs/heads/master');
const [HEAD, TAIL] = JSON.stringify({ ...example, ref: '\u0000' }).split('\\u0000') as [string, string];
const [AHEAD, ATAIL] = JSON.stringify({ ...example, after: '\u0000' }).split('\\u0000') as [string, string];
/** The signed body of the next request: a new commit on the one branch (a push already seen would be a replay), or a branch never seen before. */
const nextBody: Record<Scenario, () => Signed> = {
  'one-branch': () => {
    const body = `${AHEAD}${randomBytes(20).toString('hex')}${ATAIL}`;
    return { body, signature: `sha256=${hmacHex(SECRET, Buffer.from(body))}` };
  },
  'new-branch': () => {
    const body = `${HEAD}refs/heads/feature/${randomUUID()}${TAIL}`;
    return { body, signature: `sha256=${hmacHex(SECRET, Buffer.from(body))}` };
  },
};

interface Figures {
  total: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}
interface Slice {
  total: number;
  seconds: number;
  errors: number;
  /** Server thread event-loop active time, ms, over the slice and its drain. */
  activeMs: number;
  /** Redis CPU, s, over the slice and its drain. */
  redisS: number;
  drainMs: number;
}
interface Measured {
  fixed: Figures;
  slices: Slice[];
}

async function redisCpuSeconds(): Promise<number> {
  const redis = new Redis(redisUrl);
  const info = await redis.info('cpu');
  redis.disconnect();
  const field = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function startTarget(kind: TargetData['kind'], prefix: string) {
  const data: TargetData = { kind, redisUrl, prefix, secret: SECRET, pipelineYaml };
  // A worker does not inherit the tsx loader: register it first, then load the TypeScript entry.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = pathToFileURL(path.join(HERE, 'target.ts')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: data });
  const next = <T>() => new Promise<T>((resolve, reject) => {
    worker.once('message', (m: T) => resolve(m));
    worker.once('error', reject);
  });
  const { port } = await next<{ port: number }>();
  return {
    url: `http://127.0.0.1:${port}/hooks/github`,
    idle: async () => {
      const reply = next<{ idleMs: number }>();
      worker.postMessage('idle');
      return (await reply).idleMs;
    },
    activeMs: async () => {
      const reply = next<{ activeMs: number }>();
      worker.postMessage('elu');
      return (await reply).activeMs;
    },
    stop: async () => {
      const stopped = next<unknown>();
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
}

async function load(url: string, scenario: Scenario, options: { duration: number; rate?: number; connections: number }): Promise<Figures> {
  const next = nextBody[scenario];
  const result = await autocannon({
    url,
    method: 'POST',
    duration: options.duration,
    connections: options.connections,
    ...(options.rate ? { overallRate: options.rate } : {}),
    headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
    requests: [
      {
        setupRequest: (req) => {
          const signed = next();
          return {
            ...req,
            body: signed.body,
            headers: { ...req.headers, 'x-hub-signature-256': signed.signature, 'x-github-delivery': randomUUID() },
          };
        },
      },
    ],
  });
  return { total: result.requests.total, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

type Side = TargetData['kind'];
type Target = Awaited<ReturnType<typeof startTarget>>;
const SIDES: Side[] = ['baseline', 'floor', 'slipway'];

async function saturate(target: Target, scenario: Scenario): Promise<Slice> {
  const [active0, redis0] = [await target.activeMs(), await redisCpuSeconds()];
  const figures = await load(target.url, scenario, { duration: SLICE_SECONDS, connections: CONNECTIONS });
  const drainMs = await target.idle();
  const [active1, redis1] = [await target.activeMs(), await redisCpuSeconds()];
  return { total: figures.total, seconds: SLICE_SECONDS, errors: figures.non2xx + figures.errors, activeMs: active1 - active0, redisS: redis1 - redis0, drainMs };
}

/** One scenario: each server warmed up and measured at a fixed rate in turn, then saturation slices taking turns. */
async function measure(scenario: Scenario): Promise<Record<Side, Measured>> {
  const prefixes = Object.fromEntries(SIDES.map((side) => [side, `bench-${side}-${randomUUID().slice(0, 8)}:`])) as Record<Side, string>;
  const targets = {} as Record<Side, Target>;
  try {
    for (const side of SIDES) targets[side] = await startTarget(side, prefixes[side]);
    const out = {} as Record<Side, Measured>;
    for (const side of SIDES) {
      await load(targets[side].url, scenario, { duration: 2, connections: 20, rate: RATE }); // warm-up
      await targets[side].idle();
      out[side] = { fixed: await load(targets[side].url, scenario, { duration: DURATION, connections: 20, rate: RATE }), slices: [] };
      await targets[side].idle();
    }
    for (let i = 0; i < SLICES; i++) {
      // Rotate the order so no side always follows the same one.
      const order = SIDES.map((_s, k) => SIDES[(k + i) % SIDES.length]!);
      for (const side of order) out[side].slices.push(await saturate(targets[side], scenario));
      console.log(JSON.stringify({ scenario, slice: i + 1, ...Object.fromEntries(SIDES.map((s) => [s, out[s].slices.at(-1)!.total / SLICE_SECONDS])) }));
    }
    return out;
  } finally {
    const redis = new Redis(redisUrl);
    for (const side of SIDES) {
      await targets[side]?.stop();
      await deletePrefix(redis, prefixes[side]);
    }
    redis.disconnect();
  }
}

const results = {} as Record<Scenario, Record<Side, Measured>>;
for (const scenario of ['one-branch', 'new-branch'] as const) results[scenario] = await measure(scenario);

const f = (n: number, d = 0) => n.toFixed(d);
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
function section(scenario: Scenario, title: string): string {
  const m = results[scenario];
  const sum = (side: Side, k: keyof Slice) => m[side].slices.reduce((n, x) => n + x[k], 0);
  const rps = (side: Side) => sum(side, 'total') / sum(side, 'seconds');
  const cpu = (side: Side) => `${f((sum(side, 'activeMs') * 1000) / sum(side, 'total'))} + ${f((sum(side, 'redisS') * 1e6) / sum(side, 'total'))}`;
  const cpuTotal = (side: Side) => (sum(side, 'activeMs') * 1000 + sum(side, 'redisS') * 1e6) / sum(side, 'total');
  /** The ratio in each turn of slices (one slice of each side, back to back). */
  const turns = (side: Side) => m[side].slices.map((x, i) => x.total / m.baseline.slices[i]!.total);
  const spread = (side: Side) => {
    const t = turns(side);
    return `${f(Math.min(...t), 2)} / ${f(median(t), 2)} / ${f(Math.max(...t), 2)}`;
  };
  const errors = SIDES.reduce((n, side) => n + sum(side, 'errors') + m[side].fixed.non2xx + m[side].fixed.errors, 0);
  const row = (side: Side) =>
    `| ${side} | ${f(rps(side))} | ${side === 'baseline' ? '1' : `**${f(rps(side) / rps('baseline'), 2)}**`} | ${side === 'baseline' ? '' : spread(side)} | ${cpu(side)} | ${f(median(m[side].slices.map((x) => x.drainMs)))} | ${m[side].fixed.p50} / ${m[side].fixed.p99} |`;
  const tr = rps('slipway') / rps('baseline');
  const pr = m.slipway.fixed.p99 / m.baseline.fixed.p99;
  return `## ${title}

| server | req/s at saturation | × baseline | × baseline per turn (min / median / max) | CPU µs/req (server thread + Redis) | drain after a slice, ms (median) | p50 / p99 ms @${RATE}/s |
| --- | --- | --- | --- | --- | --- | --- |
${SIDES.map(row).join('\n')}

p99 at ${RATE} req/s: **${f(pr, 2)}× the baseline's** (goal ≤ 1.5×: ${pr <= 1.5 ? 'met' : 'NOT met'}).
Throughput (recorded, no goal): **${f(tr, 2)}× the baseline**; the floor reached ${f(rps('floor') / rps('baseline'), 2)}×.
CPU per request (server thread + Redis): baseline ${f(cpuTotal('baseline'))} µs, floor ${f(cpuTotal('floor'))} µs, slipway ${f(cpuTotal('slipway'))} µs.
Non-2xx answers and errors, all phases: ${errors}.
`;
}

// ---- every run on record ----
const ratios = (scenario: Scenario) => {
  const m = results[scenario];
  const rps = (side: Side) => m[side].slices.reduce((n, x) => n + x.total, 0) / m[side].slices.reduce((n, x) => n + x.seconds, 0);
  return [rps('slipway') / rps('baseline'), rps('floor') / rps('baseline'), m.slipway.fixed.p99 / m.baseline.fixed.p99].map((r) => f(r, 2));
};
// Not a git checkout (or no git): the run is still recorded, its commit as '?'.
const commit = (await exec(['git', 'rev-parse', '--short', 'HEAD'], { cwd: HERE, allowFailure: true }).catch(() => ({ stdout: '' }))).stdout.trim() || '?';
const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const HISTORY = path.join(HERE, 'runs.tsv');
// Runs of fewer than 8 turns (trying the script out) are too short to be figures: not recorded.
if (SLICES >= 8) {
  appendFileSync(HISTORY, `${[startedAt, commit, SLICES, ...ratios('new-branch'), ...ratios('one-branch'), os.loadavg()[0]!.toFixed(2)].join('\t')}\n`);
}
const runs = readFileSync(HISTORY, 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t'));
/** Runs since Slipway uses BullMQ's public API only (issue 11); the earlier ones ran BullMQ's script inside Slipway's. */
const PUBLIC_API_SINCE = '2026-12-01';
const summary = (col: number, since: boolean) => {
  const xs = runs.filter((r) => (r[0]! >= PUBLIC_API_SINCE) === since).map((r) => Number(r[col]));
  if (xs.length === 0) return 'no runs';
  return `mean ${f(xs.reduce((a, b) => a + b, 0) / xs.length, 2)}×, median ${f(median(xs), 2)}×, ${f(Math.min(...xs), 2)}×–${f(Math.max(...xs), 2)}×`;
};
const history = `## Every run on record (bench/webhook/runs.tsv)

Throughput and p99 as × the baseline's in the same run. A run's figure moves by ±0.1 with the machine's state, so
the goal is read on the runs together.

| time | commit | turns | new-branch: slipway | floor | p99 | one-branch: slipway | floor | p99 | load |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${runs.map((r) => `| ${r.join(' | ')} |`).join('\n')}

Runs from ${PUBLIC_API_SINCE} on use BullMQ through its public API (Queue.add, Queue.remove: three Redis steps per
webhook); the earlier ones ran BullMQ's addStandardJob inside Slipway's one script.

| | public API (from ${PUBLIC_API_SINCE}) | one script (before) |
| --- | --- | --- |
| new-branch p99 × baseline | ${summary(5, true)} | ${summary(5, false)} |
| new-branch throughput, slipway | ${summary(3, true)} | ${summary(3, false)} |
| new-branch throughput, floor | ${summary(4, true)} | ${summary(4, false)} |
| one-branch p99 × baseline | ${summary(8, true)} | ${summary(8, false)} |
| one-branch throughput, slipway | ${summary(6, true)} | ${summary(6, false)} |
| one-branch throughput, floor | ${summary(7, true)} | ${summary(7, false)} |
`;

const md = `# Webhook intake benchmark

\`node --import tsx bench/webhook/run.ts\` — ${new Date().toISOString()}

Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}
(a VM shared with other work; its speed drifts from one minute to the next). Node ${process.version}. Redis: one local
redis-server, the same for all servers.

Three servers, each in its own worker thread, autocannon on the main thread:

- **baseline**: bare \`node:http\`, HMAC-SHA256 check with \`timingSafeEqual\`, \`JSON.parse\`, one BullMQ \`add\`, 202.
- **floor**: the baseline with its add replaced by the Redis steps Slipway's contract needs (core/accept-delivery.ts:
  the delivery claim with the build number and the push's replay key, the record and its indexes, \`Queue.add\` with
  jobId = build id). Nothing else: no normalising, matching, metrics or superseding. What any server keeping Slipway's
  contract would at least do.
- **slipway**: \`createServer()\` (server/create-server.ts), \`POST /hooks/github\`, the whole intake: body size limit,
  JSON parse, normalise, match the pipeline by repository URL, HMAC check, plan, the same Redis steps as the floor, 202.
  After the answer, in the background, superseding the branch's older builds.

Payload: GitHub's \`push\` example from \`@octokit/webhooks-examples\` (${ONE_BRANCH.body.length} bytes), signed; a fresh
\`X-GitHub-Delivery\` per request. Per server: 2 s warm-up at ${RATE}/s, then ${DURATION} s at a fixed ${RATE} requests/s over 20
connections (latency). Then saturation over ${CONNECTIONS} connections in ${SLICES} turns: in each turn every server gets a
${SLICE_SECONDS} s slice, back to back, the order rotating from turn to turn, so the machine's drift falls on all of them alike.
Throughput is each server's requests over its slices' time. After each slice the server's background work is let
finish before the next slice starts; the drain column says how long that took (superseding, in the one-branch
scenario: work the throughput figure does not include). The load generator signs every body itself (the same cost
for every server): a new branch per push, or in the one-branch scenario a new \`after\` commit per push (the same push
again would be a replay, ignored). CPU per request: the server thread's event-loop active time (it also
counts time the thread was runnable but not scheduled, so it grows when the machine is busy) plus Redis's own CPU
time, over the slices and their drains.

${section('new-branch', 'Every push to a new branch (the common case: nothing to supersede)')}
${section('one-branch', 'Every push to one branch (each build supersedes the previous: a cancel per request)')}
${history}
## Where the cost goes

Redis steps per webhook: the baseline makes one (BullMQ's add script). Slipway makes three, one after the other, each
idempotent: its own claim script (delivery key, replay key, INCR), its own record script (the record, JSON built in
TypeScript, and its indexes, listing the build in \`unqueued\`), then BullMQ's \`Queue.add\`; after the answer one
ZREM drops the \`unqueued\` listing. Before issue 11 it was one script that ran BullMQ's addStandardJob inside
Slipway's (reaching into \`bullmq/dist\`): one round trip instead of three, at the price of a bullmq pinned exactly and
reverse-engineered at every upgrade. At ${RATE} requests/s the extra round trips cost a fraction of a millisecond per
request, which is what the p99 goal bounds; at saturation they are the throughput difference between the two layouts.

When the branch already has builds, superseding after the answer adds, per push, a range read and an MGET (shared by
the pushes a coalesced run covers) and, per build cancelled, \`Queue.remove\`, the record's compare-and-set, the log
line and end entry, and the \`unqueued\` listing around the remove. In the one-branch scenario every request cancels
the previous build, so Slipway does several times the baseline's Redis work per request, and its throughput follows.
A branch's first build skips superseding (the record script reports that the branch was empty).
`;
writeFileSync(path.join(HERE, 'RESULTS.md'), md);
console.log(md);
