import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expiryFrom, ttlMs } from '../../../../runner/environments/ttl.ts';

void test('durations become milliseconds; 0 never expires', () => {
  assert.equal(ttlMs('72h'), 72 * 3_600_000);
  assert.equal(ttlMs('1h30m'), 90 * 60_000);
  assert.equal(ttlMs('500ms'), 500);
  assert.equal(ttlMs('2d'), 2 * 86_400_000);
  assert.equal(ttlMs('0'), undefined);
  assert.throws(() => ttlMs('forever'), /must be a duration/);
});

void test('expiry is now plus ttl', () => {
  const now = new Date('2024-01-01T00:00:00.000Z');
  assert.equal(expiryFrom(now, '1h'), '2024-01-01T01:00:00.000Z');
  assert.equal(expiryFrom(now, '0'), undefined);
});
