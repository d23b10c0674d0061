// Retention against the real Redis: past the newest keepBuilds, finished builds older than keepDays
// go with their logs and listings; newer, younger or unfinished ones stay.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../../core/logger.ts';
import type { BuildRecord, BuildStatus } from '../../../core/records.ts';
import { pruneBuilds } from '../../../core/retention.ts';
import { testRedis, type TestRedis } from '../../helpers/testenv.ts';

let r: TestRedis;
before(async () => {
  r = await testRedis();
});
after(async () => r.cleanup());

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');

async function put(n: number, ageDays: number, status: BuildStatus): Promise<string> {
  const id = `app-${n}`;
  const at = new Date(NOW - ageDays * DAY).toISOString();
  const rec: BuildRecord = {
    id, pipeline: 'app', number: n, status, trigger: { type: 'push' }, repo: 'r', branch: 'main', sha: 'a'.repeat(40),
    createdAt: at, ...(status !== 'running' ? { finishedAt: at } : {}), stages: [], images: [],
  };
  await r.redis.set(r.keys.build(id), JSON.stringify(rec));
  await r.redis.zadd(r.keys.builds('app'), n, id);
  await r.redis.zadd(r.keys.branchBuilds('app', 'main'), n, id);
  await r.redis.xadd(r.keys.log(id), '*', 'line', `build ${n}`);
  await r.redis.sadd(r.keys.pipelines(), 'app');
  return id;
}

void test('the newest keepBuilds and anything younger than keepDays stay; older finished builds go with their logs', async () => {
  // 1..6 are 40 days old (5 running), 7..8 are 10 days old, 9..10 are new
  for (let n = 1; n <= 10; n++) await put(n, n <= 6 ? 40 : n <= 8 ? 10 : 0, n === 5 ? 'running' : 'succeeded');
  const removed = await pruneBuilds({ redis: r.redis, keys: r.keys, log: silentLogger(), policy: () => ({ keepBuilds: 3, keepDays: 30 }), now: () => NOW });
  assert.deepEqual(removed.sort(), ['app-1', 'app-2', 'app-3', 'app-4', 'app-6']);
  assert.deepEqual(await r.redis.zrange(r.keys.builds('app'), '0', '-1'), ['app-5', 'app-7', 'app-8', 'app-9', 'app-10']);
  assert.deepEqual(await r.redis.zrange(r.keys.branchBuilds('app', 'main'), '0', '-1'), ['app-5', 'app-7', 'app-8', 'app-9', 'app-10']);
  assert.equal(await r.redis.exists(r.keys.build('app-1'), r.keys.log('app-1'), r.keys.log('app-6')), 0);
  assert.equal(await r.redis.exists(r.keys.build('app-7'), r.keys.log('app-7')), 2);
  // with keepDays 0 only the newest 3 (and the running one) are left
  await pruneBuilds({ redis: r.redis, keys: r.keys, log: silentLogger(), policy: () => ({ keepBuilds: 3, keepDays: 0 }), now: () => NOW + 1 });
  assert.deepEqual(await r.redis.zrange(r.keys.builds('app'), '0', '-1'), ['app-5', 'app-8', 'app-9', 'app-10']);
});
