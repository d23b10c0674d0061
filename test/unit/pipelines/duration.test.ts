import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs } from '../../../pipelines/duration.ts';

// moved from test/unit/runner/environments/ttl.test.ts (ttlMs is now durationMs)
void test('durations become milliseconds; 0 never expires', () => {
  assert.equal(durationMs('72h'), 72 * 3_600_000);
  assert.equal(durationMs('1h30m'), 90 * 60_000);
  assert.equal(durationMs('500ms'), 500);
  assert.equal(durationMs('2d'), 2 * 86_400_000);
  assert.equal(durationMs('0'), undefined);
  assert.throws(() => durationMs('forever'), /must be a duration/);
});
