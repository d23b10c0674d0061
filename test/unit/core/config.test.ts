// Configuration from the environment: SLIPWAY_LEAK_GRACE_MS, SLIPWAY_STOP_GRACE_MS and
// SLIPWAY_REDIS_WAIT_MS are read and validated like the other integer settings (a bad value is a
// clear ConfigError naming the variable, before anything starts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig } from '../../../core/config.ts';
import { ConfigError } from '../../../core/errors.ts';

void test('SLIPWAY_LEAK_GRACE_MS: unset leaves the leak scan its default, a number of ms is taken as it is', () => {
  assert.equal(readConfig({}, '/tmp').leakGraceMs, undefined);
  assert.equal(readConfig({ SLIPWAY_LEAK_GRACE_MS: '' }, '/tmp').leakGraceMs, undefined);
  assert.equal(readConfig({ SLIPWAY_LEAK_GRACE_MS: '0' }, '/tmp').leakGraceMs, 0);
  assert.equal(readConfig({ SLIPWAY_LEAK_GRACE_MS: '3600000' }, '/tmp').leakGraceMs, 3_600_000);
});

void test('SLIPWAY_LEAK_GRACE_MS that is not a whole number of ms in range is refused, naming the variable', () => {
  for (const bad of ['10m', '-1', '1.5', 'abc', String(31 * 24 * 3600_000)]) {
    assert.throws(
      () => readConfig({ SLIPWAY_LEAK_GRACE_MS: bad }, '/tmp'),
      (e: unknown) => e instanceof ConfigError && e.message === `SLIPWAY_LEAK_GRACE_MS must be an integer between 0 and 2592000000, got ${JSON.stringify(bad)}`,
      bad,
    );
  }
});

void test('SLIPWAY_STOP_GRACE_MS and SLIPWAY_REDIS_WAIT_MS: unset leaves the command its default, a number of ms is taken as it is', () => {
  const unset = readConfig({}, '/tmp');
  assert.deepEqual([unset.stopGraceMs, unset.redisWaitMs], [undefined, undefined]);
  const empty = readConfig({ SLIPWAY_STOP_GRACE_MS: '', SLIPWAY_REDIS_WAIT_MS: '' }, '/tmp');
  assert.deepEqual([empty.stopGraceMs, empty.redisWaitMs], [undefined, undefined]);
  const set = readConfig({ SLIPWAY_STOP_GRACE_MS: '5000', SLIPWAY_REDIS_WAIT_MS: '0' }, '/tmp');
  assert.deepEqual([set.stopGraceMs, set.redisWaitMs], [5000, 0]);
});

void test('SLIPWAY_STOP_GRACE_MS and SLIPWAY_REDIS_WAIT_MS that are not a whole number of ms in range are refused, naming the variable', () => {
  // before: Number() made "30s" NaN, which cancelled running builds at once on SIGTERM (a NaN timer
  // fires at once) and made `up` wait for an unreachable Redis forever (no deadline is before NaN)
  const cases: [string, number, string[]][] = [
    ['SLIPWAY_STOP_GRACE_MS', 86_400_000, ['30s', '-1', '1.5', 'abc', '86400001']],
    ['SLIPWAY_REDIS_WAIT_MS', 3_600_000, ['10s', '-1', '2.5', 'never', '3600001']],
  ];
  for (const [name, max, bad] of cases) {
    for (const value of bad) {
      assert.throws(
        () => readConfig({ [name]: value }, '/tmp'),
        (e: unknown) => e instanceof ConfigError && e.message === `${name} must be an integer between 0 and ${max}, got ${JSON.stringify(value)}`,
        `${name}=${value}`,
      );
    }
  }
});
