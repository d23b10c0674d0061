// `slipway up`'s embedded redis-server, started for real: when the port it remembers (or just found
// free) is taken by something else, it comes up on another one instead of failing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { redisAnswers } from '../../../core/redis.ts';
import { exec } from '../../../runner/exec.ts';
import { startEmbeddedRedis } from '../../../cli/up/embedded-redis.ts';

void test('a taken port: the embedded redis-server starts on a fresh one and remembers it', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-embedded-'));
  const squatter = createServer((socket) => socket.destroy()); // answers TCP, not Redis
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const taken = (squatter.address() as { port: number }).port;
  try {
    await mkdir(path.join(dataDir, 'redis'), { recursive: true });
    await writeFile(path.join(dataDir, 'redis', 'port'), `${taken}\n`);
    const redis = await startEmbeddedRedis({ dataDir, exec });
    try {
      const port = Number(new URL(redis.url).port);
      assert.notEqual(port, taken);
      assert.equal(await redisAnswers(redis.url), true);
      assert.equal((await readFile(path.join(dataDir, 'redis', 'port'), 'utf8')).trim(), String(port));
    } finally {
      await redis.stop();
    }
  } finally {
    squatter.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
