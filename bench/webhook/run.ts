// Webhook intake benchmark: Slipway's server against a bare baseline in the same run, with
// autocannon. Saturation throughput, then latency at a fixed 500 requests/s. Every request has
// its own delivery id, so dedupe never short-circuits. Writes bench/webhook/RESULTS.md.
//
//   node --import tsx bench/webhook/run.ts      (SLIPWAY_BENCH_REDIS_URL, else the testenv's Redis)
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import examples from '@octokit/webhooks-examples/api.github.com/index.json' with { type: 'json' };
import { Redis } from 'ioredis';
import { hmacHex } from '../../server/webhooks/signature.ts';
import { testenv } from '../../test/helpers/testenv.ts';
import type { TargetData } from './target.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SECRET = 'bench-secret';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const RATE = 500;

const redisUrl = process.env.SLIPWAY_BENCH_REDIS_URL ?? testenv().redisUrl;
const pushes = (examples as { name: string; examples: Record<string, unknown>[] }[]).find((e) => e.name === 'push')!.examples;
const payload = pushes.find((e) => e.ref === 'refs/heads/master' && e.deleted === false)!;
const body = JSON.stringify(payload);
const signature = `sha256=${hmacHex(SECRET, Buffer.from(body))}`;
const pipelineYaml = `apiVersion: slipway/v1
kind: Pipeline
metadata:
  name: bench
source:
  repo: https://github.com/Codertocat/Hello-World.git
  secret: { env: BENCH_SECRET }
`;

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function startTarget(kind: TargetData['kind'], prefix: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const data: TargetData = { kind, redisUrl, prefix, secret: SECRET, pipelineYaml };
  // A worker does not inherit the tsx loader: register it first, then load the TypeScript entry.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = pathToFileURL(path.join(HERE, 'target.ts')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: data });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}/hooks/github`,
    stop: async () => {
      const stopped = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
}

async function load(url: string, options: { duration: number; rate?: number; connections: number }): Promise<Figures> {
  const result = await autocannon({
    url,
    method: 'POST',
    duration: options.duration,
    connections: options.connections,
    ...(options.rate ? { overallRate: options.rate } : {}),
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature },
    body,
    requests: [
      {
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'x-github-delivery': randomUUID() } }),
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function measure(kind: TargetData['kind']): Promise<{ saturation: Figures; fixed: Figures }> {
  const prefix = `bench-${kind}-${randomUUID().slice(0, 8)}:`;
  const target = await startTarget(kind, prefix);
  try {
    await load(target.url, { duration: 2, connections: CONNECTIONS }); // warm-up
    const saturation = await load(target.url, { duration: DURATION, connections: CONNECTIONS });
    const fixed = await load(target.url, { duration: DURATION, connections: 20, rate: RATE });
    return { saturation, fixed };
  } finally {
    await target.stop();
    const redis = new Redis(redisUrl);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}

const rounds: { slipway: { saturation: Figures; fixed: Figures }; baseline: { saturation: Figures; fixed: Figures } }[] = [];
for (let i = 0; i < ROUNDS; i++) {
  // Alternate the order so neither side always runs on a warmer machine.
  const first = i % 2 === 0 ? 'baseline' : 'slipway';
  const a = await measure(first);
  const b = await measure(first === 'baseline' ? 'slipway' : 'baseline');
  rounds.push(first === 'baseline' ? { baseline: a, slipway: b } : { slipway: a, baseline: b });
  console.log(JSON.stringify(rounds[rounds.length - 1]));
}

const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const pick = (side: 'slipway' | 'baseline', mode: 'saturation' | 'fixed', k: keyof Figures) => avg(rounds.map((r) => r[side][mode][k]));
const f = (n: number, d = 0) => n.toFixed(d);
const throughputRatio = pick('slipway', 'saturation', 'rps') / pick('baseline', 'saturation', 'rps');
const p99Ratio = pick('slipway', 'fixed', 'p99') / pick('baseline', 'fixed', 'p99');

const rows = rounds
  .map(
    (r, i) =>
      `| ${i + 1} | ${f(r.baseline.saturation.rps)} | ${f(r.slipway.saturation.rps)} | ${f(r.slipway.saturation.rps / r.baseline.saturation.rps, 2)} | ${r.baseline.fixed.p50} / ${r.baseline.fixed.p99} | ${r.slipway.fixed.p50} / ${r.slipway.fixed.p99} | ${f(r.slipway.fixed.p99 / r.baseline.fixed.p99, 2)} | ${r.slipway.saturation.non2xx + r.slipway.fixed.non2xx + r.baseline.saturation.non2xx + r.baseline.fixed.non2xx} / ${r.slipway.saturation.errors + r.slipway.fixed.errors + r.baseline.saturation.errors + r.baseline.fixed.errors} |`,
  )
  .join('\n');

const md = `# Webhook intake benchmark

\`node --import tsx bench/webhook/run.ts\` — ${new Date().toISOString()}

Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}
(the machine is shared with other work; figures move with it). Node ${process.version}. Redis: one local redis-server, the same for both.

What is measured, side by side in one run, each server in its own worker thread, autocannon on the main thread:

- **baseline**: bare \`node:http\`, HMAC-SHA256 check with \`timingSafeEqual\`, \`JSON.parse\`, one BullMQ \`add\`, 202.
- **slipway**: \`createServer()\` from \`server/create-server.ts\`, \`POST /hooks/github\` with the full intake: size limit,
  JSON parse, normalise, pipeline match by repository URL, HMAC check, delivery dedupe (SET NX EX), build number
  (INCR), build record, BullMQ add (jobId = build id), 202; then, after the answer, superseding the branch's older
  build (every request pushes to the same branch, so every request also cancels the previous build: job removal,
  record update, log end).

Payload: GitHub's \`push\` example from \`@octokit/webhooks-examples\` (${body.length} bytes), signed; a fresh
\`X-GitHub-Delivery\` per request. Saturation: ${CONNECTIONS} connections for ${DURATION} s. Fixed rate: ${RATE} requests/s
over 20 connections for ${DURATION} s. ${ROUNDS} rounds, order alternated.

| round | baseline req/s | slipway req/s | ratio | baseline p50 / p99 ms @${RATE}/s | slipway p50 / p99 ms @${RATE}/s | p99 ratio | non-2xx / errors |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows}

**Mean throughput ratio: ${f(throughputRatio, 2)}× the baseline** (goal ≥ 0.8×).
**Mean p99 at ${RATE} req/s: ${f(p99Ratio, 2)}× the baseline's** (goal ≤ 2×).
`;
writeFileSync(path.join(HERE, 'RESULTS.md'), md);
console.log(md);
