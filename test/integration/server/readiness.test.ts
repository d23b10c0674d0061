// Readiness follows Redis: an unreachable Redis makes /readyz 503 (and /healthz stays 200) until it
// answers.
import assert from 'node:assert/strict';
import { createServer as createTcpServer, Socket } from 'node:net';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { bullConnection } from '../../../core/bull-connection.ts';
import { createKeys } from '../../../core/keys.ts';
import { silentLogger } from '../../../core/logger.ts';
import { createQueues } from '../../../core/queue.ts';
import { createServer, listen } from '../../../server/create-server.ts';
import { testenv, uniqueName } from '../../helpers/testenv.ts';
import { eventually } from './harness.ts';

async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

void test('/readyz is 503 while Redis is unreachable, 200 once it answers', async () => {
  const port = await freePort(); // nothing listens here
  const dead = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: null, retryStrategy: () => 200, lazyConnect: false });
  dead.on('error', () => undefined);
  const prefix = `${uniqueName('t')}:`;
  const queues = createQueues(bullConnection(testenv().redisUrl), `${prefix}bull`);
  const app = createServer({ redis: dead, keys: createKeys(prefix), queues, pipelines: [], config: { apiToken: 't', publicUrl: 'http://x' }, log: silentLogger() });
  const { server, url } = await listen(app, 0, '127.0.0.1');
  try {
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { ok: false, error: { type: 'unavailable', message: 'redis is not reachable' } });
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    // Redis comes up on that port: readiness follows without a restart.
    const { hostname, port: realPort } = new URL(testenv().redisUrl);
    const proxy = createTcpServer((client) => {
      const upstream = new Socket();
      upstream.connect(Number(realPort), hostname);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
    try {
      await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, 'readiness');
    } finally {
      dead.disconnect();
      proxy.close();
    }
  } finally {
    app.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await queues.close();
  }
});
