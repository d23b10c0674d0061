// The deploy lock against a real Redis: one holder at a time, waiters wait, release is safe.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, UnavailableError } from '../../../core/errors.ts';
import { namespaceLocked, withNamespaceLock } from '../../../runner/lock.ts';
import { testRedis } from '../../helpers/testenv.ts';

let env: Awaited<ReturnType<typeof testRedis>>;
before(async () => {
  env = await testRedis();
});
after(async () => {
  await env.cleanup();
});

void test('two holders of one namespace never overlap; other namespaces do not wait', async () => {
  const events: string[] = [];
  const hold = (name: string, ns: string) =>
    withNamespaceLock(env.redis, env.keys, ns, async () => {
      events.push(`${name}:in`);
      await sleep(150);
      events.push(`${name}:out`);
    }, { pollMs: 20 });
  await Promise.all([hold('a', 'ns-1'), hold('b', 'ns-1')]);
  assert.ok(
    events.join() === 'a:in,a:out,b:in,b:out' || events.join() === 'b:in,b:out,a:in,a:out',
    `overlapped: ${events.join()}`,
  );
  assert.equal(await namespaceLocked(env.redis, env.keys, 'ns-1'), false);

  events.length = 0;
  await Promise.all([hold('c', 'ns-2'), hold('d', 'ns-3')]);
  assert.deepEqual(events.slice(0, 2).sort(), ['c:in', 'd:in']);
});

void test('the lock is released when fn throws, and renewed while held past its ttl', async () => {
  await assert.rejects(withNamespaceLock(env.redis, env.keys, 'ns-4', () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await namespaceLocked(env.redis, env.keys, 'ns-4'), false);
  await withNamespaceLock(env.redis, env.keys, 'ns-5', async (lost) => {
    await sleep(400);
    assert.equal(lost.aborted, false);
    assert.equal(await namespaceLocked(env.redis, env.keys, 'ns-5'), true);
  }, { ttlMs: 150 });
});

void test('a waiter gives up after waitMs, or when its signal aborts', async () => {
  await withNamespaceLock(env.redis, env.keys, 'ns-6', async () => {
    await assert.rejects(withNamespaceLock(env.redis, env.keys, 'ns-6', async () => 1, { waitMs: 100, pollMs: 20 }), UnavailableError);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(withNamespaceLock(env.redis, env.keys, 'ns-6', async () => 1, { signal: ac.signal, pollMs: 20 }), CancelledError);
  });
});

void test('a holder whose lock expired does not delete the next holder\'s lock', async () => {
  const key = env.keys.envLock('ns-7');
  await withNamespaceLock(env.redis, env.keys, 'ns-7', async () => {
    await env.redis.set(key, 'someone-else'); // as if ours expired and another runner took it
  });
  assert.equal(await env.redis.get(key), 'someone-else');
});
