// A Redis outage never makes a webhook wait: with Redis stopped, every webhook is answered within a
// second (202, spooled to disk), /readyz says degraded, and once Redis is back every spooled delivery
// is queued exactly once, a delivery sent twice during the outage included. Against a redis-server of
// this test's own (started, stopped and started again on its port, its data kept in its AOF).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../../cli/up/embedded-redis.ts';
import { BuildStore } from '../../../core/build-store.ts';
import { bullConnection } from '../../../core/bull-connection.ts';
import { createKeys } from '../../../core/keys.ts';
import { silentLogger } from '../../../core/logger.ts';
import { createQueues, type Queues } from '../../../core/queue.ts';
import { connectRedis, type Redis } from '../../../core/redis.ts';
import { parsePipelines } from '../../../pipelines/load.ts';
import { exec } from '../../../runner/exec.ts';
import { createServer, listen, type SlipwayServer } from '../../../server/create-server.ts';
import { eventually, fixture, pipelineYaml, postHook, SECRET } from './harness.ts';

let dir: string;
let redisServer: EmbeddedRedis;
let redis: Redis;
let queues: Queues;
const started: { app: SlipwayServer; http: Server }[] = [];
const keys = createKeys('spool-test:');

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-spool-'));
  redisServer = await startEmbeddedRedis({ dataDir: dir, exec });
  redis = connectRedis(redisServer.url);
  queues = createQueues(bullConnection(redisServer.url), 'spool-test-bull');
});

after(async () => {
  for (const { app, http } of started) {
    app.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  }
  await queues.close();
  redis.disconnect();
  await redisServer.stop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function start(spoolFile: string): Promise<{ app: SlipwayServer; url: string }> {
  const { pipelines } = parsePipelines(pipelineYaml('app', 'http://127.0.0.1:3001/team/app'), 'p.yaml');
  const app = createServer({ redis, keys, queues, pipelines, config: { apiToken: 't', publicUrl: 'http://x' }, log: silentLogger(), env: { HOOK_SECRET: SECRET }, spoolFile });
  const { server: http, url } = await listen(app, 0, '127.0.0.1');
  started.push({ app, http });
  return { app, url };
}

function push(branch: string): Record<string, unknown> {
  return { ...fixture('gitea-push.json'), ref: `refs/heads/${branch}`, after: randomUUID().replaceAll('-', '').padEnd(40, '0') };
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work;
  return { value, ms: performance.now() - t0 };
}

void test('webhooks during a Redis outage are answered within a second and queued exactly once after it', async () => {
  const spoolFile = path.join(dir, 'work', 'webhook-spool.jsonl');
  const { app, url } = await start(spoolFile);
  const store = new BuildStore(redis, keys);
  assert.equal((await postHook(url, 'gitea', push('before-outage'))).status, 202);

  // A second server whose spool cannot be written: a file stands where its folder should be.
  const blocker = path.join(dir, 'not-a-folder');
  await writeFile(blocker, 'x');
  const broken = await start(path.join(blocker, 'webhook-spool.jsonl'));

  await redisServer.stop();
  const deliveries = Array.from({ length: 6 }, (_v, i) => ({ delivery: randomUUID(), payload: push(`outage-${i}`) }));
  const answers = [];
  for (const d of deliveries) answers.push(await timed(postHook(url, 'gitea', d.payload, { delivery: d.delivery })));
  // The forge retries one of them during the outage: the same delivery again.
  answers.push(await timed(postHook(url, 'gitea', deliveries[0]!.payload, { delivery: deliveries[0]!.delivery })));
  for (const a of answers) {
    assert.equal(a.value.status, 202, JSON.stringify(a.value.body));
    assert.deepEqual(a.value.body, { spooled: true, builds: [] });
    assert.ok(a.ms < 1000, `answered in ${Math.round(a.ms)} ms`);
  }
  assert.equal(app.spool?.pending(), 7);
  assert.equal((await readFile(spoolFile, 'utf8')).trim().split('\n').length, 7, 'each is on disk');
  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(((await ready.json()) as { degraded: { redis: boolean; spooled: number } }).degraded, {
    message: 'redis is not reachable: webhook deliveries are spooled',
    redis: false,
    spooled: 7,
  });
  const refused = await timed(postHook(broken.url, 'gitea', push('no-spool')));
  assert.equal(refused.value.status, 503);
  assert.ok(refused.ms < 1000, `answered in ${Math.round(refused.ms)} ms`);

  redisServer = await startEmbeddedRedis({ dataDir: dir, exec }); // the same port, its AOF kept
  await eventually(async () => app.spool?.pending() === 0, 'the spool drained', 30_000);
  const builds = await store.list('app', { limit: 100 });
  const perDelivery = new Map<string, number>();
  for (const b of builds) perDelivery.set(b.trigger.deliveryId!, (perDelivery.get(b.trigger.deliveryId!) ?? 0) + 1);
  for (const d of deliveries) assert.equal(perDelivery.get(d.delivery), 1, `delivery ${d.delivery}`);
  // The refused one was not accepted; only its late attempt may still queue it (the forge saw 503).
  const accepted = builds.filter((b) => b.branch !== 'no-spool');
  assert.equal(accepted.length, 7);
  const waiting = new Set((await queues.builds.getWaiting()).map((j) => j.id));
  for (const b of accepted) assert.ok(waiting.has(b.id), `${b.id} has its job`);
  await eventually(async () => (await readFile(spoolFile, 'utf8')) === '', 'the spool file emptied');
  await eventually(async () => JSON.stringify(await (await fetch(`${url}/readyz`)).json()) === '{"ok":true}', 'ready again');
});
