// The test environment's Redis: reachable, and configured the way Slipway's queues need it
// (no eviction of queue keys, append-only persistence).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { testRedis } from '../../helpers/testenv.ts';

let r: Awaited<ReturnType<typeof testRedis>>;
before(async () => {
  r = await testRedis();
});
after(async () => {
  await r.cleanup();
});

void test('redis answers and keeps what is written under the test prefix', async () => {
  assert.equal(await r.redis.ping(), 'PONG');
  await r.redis.set(`${r.prefix}hello`, 'world');
  assert.equal(await r.redis.get(`${r.prefix}hello`), 'world');
});

void test('redis never evicts keys and persists to an append-only file every second', async () => {
  assert.deepEqual(await r.redis.config('GET', 'maxmemory-policy'), ['maxmemory-policy', 'noeviction']);
  assert.deepEqual(await r.redis.config('GET', 'appendonly'), ['appendonly', 'yes']);
  assert.deepEqual(await r.redis.config('GET', 'appendfsync'), ['appendfsync', 'everysec']);
});

void test('redis listens on the loopback address only', async () => {
  assert.deepEqual(await r.redis.config('GET', 'bind'), ['bind', '127.0.0.1']);
});
