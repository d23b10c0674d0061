// Configuration from the environment: SLIPWAY_LEAK_GRACE_MS is read and validated like the other
// integer settings (a bad value is a clear ConfigError naming the variable, before anything starts).
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
