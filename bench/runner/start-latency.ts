// Start latency: from a build accepted (its record created and its job queued, what a webhook
// does before answering) to the runner's first command started (the git fetch of checkout),
// with an idle runner, one build at a time. Prints p50/p99 over N builds (default 200).
// Needs the testenv's Redis: node --import tsx bench/runner/start-latency.ts [N]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BuildStore } from '../../core/build-store.ts';
import { silentLogger } from '../../core/logger.ts';
import { createQueues } from '../../core/queue.ts';
import { isFinal } from '../../core/records.ts';
import { Pipeline } from '../../pipelines/schema.ts';
import { createGit, type Git } from '../../runner/git.ts';
import { startRunner } from '../../runner/start.ts';
import { fixtureRepo } from '../../test/helpers/fixture-repo.ts';
import { testRedis } from '../../test/helpers/testenv.ts';
import { integerArg } from '../integer-arg.ts';

const n = integerArg(2, 'N', 200, 1, 1_000_000);
const r = await testRedis();
const repo = await fixtureRepo();
const workdir = await mkdtemp(path.join(tmpdir(), 'slipway-bench-'));
const pipeline = Pipeline.parse({
  apiVersion: 'slipway/v1',
  kind: 'Pipeline',
  metadata: { name: 'latency' },
  source: { repo: repo.url, allowLocal: true },
});

// The first command a build runs is checkout's fetch: note when it starts.
const firstCommand = new Map<string, number>();
let current = '';
const real = createGit({ workdir });
const git: Git = {
  ...real,
  mirror: (url, opts) => {
    if (!firstCommand.has(current)) firstCommand.set(current, performance.timeOrigin + performance.now());
    return real.mirror(url, opts);
  },
};

const runner = await startRunner({
  redis: r.redis,
  keys: r.keys,
  bullPrefix: r.bullPrefix,
  pipelines: () => pipeline,
  config: { workdir, concurrency: 2, publicUrl: 'http://127.0.0.1:1', apiToken: undefined },
  log: silentLogger(),
  git,
});
const queues = createQueues(r.redis, r.bullPrefix);
const store = new BuildStore(r.redis, r.keys);
const sha = await repo.head();

const latencies: number[] = [];
for (let i = 0; i < n + 5; i++) {
  const accepted = performance.timeOrigin + performance.now();
  const record = await store.create({ pipeline: 'latency', trigger: { type: 'manual' }, repo: repo.url, branch: 'main', sha });
  current = record.id;
  await queues.builds.add('build', { buildId: record.id }, { jobId: record.id });
  while (!isFinal((await store.require(record.id)).status)) await sleep(5);
  await sleep(20); // idle runner again
  if (i >= 5) latencies.push(firstCommand.get(record.id)! - accepted); // 5 warm-up builds
}

latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
console.log(JSON.stringify({ builds: latencies.length, p50ms: +pct(50).toFixed(1), p90ms: +pct(90).toFixed(1), p99ms: +pct(99).toFixed(1), maxms: +latencies.at(-1)!.toFixed(1) }));

await runner.close(1000);
await queues.builds.obliterate({ force: true });
await queues.close();
await repo.cleanup();
await rm(workdir, { recursive: true, force: true });
await r.cleanup();
