// A server under test, run in a worker thread so autocannon (main thread) does not share its event
// loop: Slipway's server, the bare baseline (node:http + the same HMAC check + JSON.parse + one
// BullMQ add, no framework), or the floor: the baseline with its add replaced by what Slipway's
// contract needs in Redis (core/accept-delivery.ts: the delivery claim with the build number, the
// record and its indexes, Queue.add with jobId = build id), and nothing else.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { acceptDelivery } from '../../core/accept-delivery.ts';
import { BuildStore } from '../../core/build-store.ts';
import { bullConnection } from '../../core/bull-connection.ts';
import { createKeys } from '../../core/keys.ts';
import { LogStream } from '../../core/log-stream.ts';
import { silentLogger } from '../../core/logger.ts';
import { createQueues, type BuildJob } from '../../core/queue.ts';
import { parsePipelines } from '../../pipelines/load.ts';
import { createServer as createSlipway, listen } from '../../server/create-server.ts';

export interface TargetData {
  kind: 'slipway' | 'baseline' | 'floor';
  redisUrl: string;
  prefix: string;
  secret: string;
  pipelineYaml: string;
}

const data = workerData as TargetData;

async function baseline(): Promise<{ server: Server; idle: () => Promise<void>; close: () => Promise<void> }> {
  const queue = new Queue<BuildJob | Record<string, unknown>>('bench-baseline', { connection: bullConnection(data.redisUrl), prefix: `${data.prefix}bull` });
  const keys = createKeys(data.prefix);
  const hot = new Redis(data.redisUrl); // as Slipway's hot connection: not auto-pipelined
  const floorQueues = createQueues(bullConnection(data.redisUrl), `${data.prefix}floor-bull`);
  const deps = { redis: hot, keys, builds: new BuildStore(hot, keys), logs: new LogStream(hot, keys), queues: floorQueues };
  /** The floor's Redis steps: the delivery claim, the build record and its job, as Slipway's webhook intake does them. */
  const record = async (payload: { after?: string; ref?: string; before?: string }, delivery: string): Promise<string> => {
    const accepted = await acceptDelivery(deps, {
      forge: 'github',
      deliveryId: delivery,
      builds: [{ pipeline: 'bench', trigger: { type: 'push', deliveryId: delivery, forge: 'github' }, repo: 'https://github.com/Codertocat/Hello-World.git', branch: String(payload.ref).slice('refs/heads/'.length), sha: String(payload.after), before: String(payload.before) }],
      teardowns: [],
    });
    if (!accepted.builds[0]) throw new Error('duplicate');
    return accepted.builds[0].build.id;
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const given = String(req.headers['x-hub-signature-256'] ?? '').replace(/^sha256=/, '');
      const expected = createHmac('sha256', data.secret).update(body).digest();
      const givenBuf = Buffer.from(given, 'hex');
      if (givenBuf.length !== expected.length || !timingSafeEqual(expected, givenBuf)) {
        res.writeHead(401).end();
        return;
      }
      let payload: { after?: string; ref?: string; before?: string };
      try {
        payload = JSON.parse(body.toString('utf8')) as { after?: string; ref?: string; before?: string };
      } catch {
        res.writeHead(400).end();
        return;
      }
      const delivery = String(req.headers['x-github-delivery']);
      const added =
        data.kind === 'floor'
          ? record(payload, delivery)
          : queue.add('build', { ref: payload.ref, sha: payload.after, delivery }).then((job) => job.id);
      added
        .then((id) => {
          const text = JSON.stringify({ builds: [{ id }] });
          res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    idle: async () => undefined,
    close: async () => {
      await Promise.all([queue.close(), floorQueues.close()]);
      hot.disconnect();
    },
  };
}

async function slipway(): Promise<{ server: Server; idle: () => Promise<void>; close: () => Promise<void> }> {
  const redis = new Redis(data.redisUrl, { maxRetriesPerRequest: null });
  const queues = createQueues(bullConnection(data.redisUrl), `${data.prefix}bull`);
  const { pipelines, errors } = parsePipelines(data.pipelineYaml, 'bench.yaml');
  if (errors.length) throw new Error(JSON.stringify(errors));
  const app = createSlipway({
    redis,
    keys: createKeys(data.prefix),
    queues,
    pipelines,
    config: { apiToken: 'bench', publicUrl: 'http://127.0.0.1' },
    log: silentLogger(),
    env: { BENCH_SECRET: data.secret },
  });
  const { server } = await listen(app, 0, '127.0.0.1');
  return {
    server,
    idle: () => app.superseder.idle(),
    close: async () => {
      app.close();
      await app.superseder.idle();
      await queues.close();
      redis.disconnect();
    },
  };
}

const started = data.kind === 'slipway' ? await slipway() : await baseline();
parentPort!.postMessage({ port: (started.server.address() as AddressInfo).port });
parentPort!.on('message', (msg: string) => {
  if (msg === 'idle') {
    // Background work (superseding) still running after the load stopped: how long it takes.
    const start = performance.now();
    void started.idle().then(() => parentPort!.postMessage({ idleMs: performance.now() - start }));
    return;
  }
  if (msg === 'elu') {
    // This thread's event-loop active time: the server's own CPU, apart from autocannon's.
    parentPort!.postMessage({ activeMs: performance.eventLoopUtilization().active });
    return;
  }
  if (msg !== 'stop') return;
  started.server.closeAllConnections();
  started.server.close();
  void started.close().then(() => parentPort!.postMessage({ stopped: true }));
});
