// Configuration from the environment: SLIPWAY_LEAK_GRACE_MS, SLIPWAY_STOP_GRACE_MS and
// SLIPWAY_REDIS_WAIT_MS are read and validated like the other integer settings (a bad value is a
// clear ConfigError naming the variable, before anything starts); every numeric setting is plain
// decimal digits, and only blanks is unset.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readConfig, type Config } from '../../../core/config.ts';
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

// Every numeric setting is read by one check in core/config.ts: plain decimal digits only.
const NUMERIC: [name: string, max: number, read: (c: Config) => unknown, fallback: unknown][] = [
  ['SLIPWAY_PORT', 65_535, (c) => c.port, 8080],
  ['SLIPWAY_CONCURRENCY', 64, (c) => c.concurrency, 2],
  ['SLIPWAY_DUPLICATE_PUSH_SECONDS', 30 * 24 * 3600, (c) => c.duplicatePushSeconds, 3600],
  ['SLIPWAY_LEAK_GRACE_MS', 30 * 24 * 3600_000, (c) => c.leakGraceMs, undefined],
  ['SLIPWAY_STOP_GRACE_MS', 86_400_000, (c) => c.stopGraceMs, undefined],
  ['SLIPWAY_REDIS_WAIT_MS', 3_600_000, (c) => c.redisWaitMs, undefined],
];

void test('a numeric setting written other than in plain decimal digits is refused, naming the variable', () => {
  // before: Number() took these ("1e3" as 1000, "0x10" as 16, "5.0" as 5)
  for (const [name, max] of NUMERIC) {
    const min = name === 'SLIPWAY_CONCURRENCY' ? 1 : 0;
    for (const bad of ['1e3', '1E1', '0x10', '0b11', '0o7', '5.0', '5.', '+5', '1_000', '1 000', 'Infinity', '٣']) {
      assert.throws(
        () => readConfig({ [name]: bad }, '/tmp'),
        (e: unknown) => e instanceof ConfigError && e.message === `${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(bad)}`,
        `${name}=${bad}`,
      );
    }
  }
});

void test('a numeric setting that is only blanks is unset (its default), not 0; blanks around digits are dropped', () => {
  // before: Number(' ') is 0, so SLIPWAY_STOP_GRACE_MS=" " cancelled running builds at once on SIGTERM
  for (const [name, , read, fallback] of NUMERIC) {
    for (const blank of [' ', '  ', '\t', '\n', ' \t\n ']) assert.equal(read(readConfig({ [name]: blank }, '/tmp')), fallback, `${name}=${JSON.stringify(blank)}`);
    assert.equal(read(readConfig({ [name]: ' 7\n' }, '/tmp')), 7, `${name}=" 7\\n"`);
    assert.equal(read(readConfig({ [name]: '007' }, '/tmp')), 7, `${name}=007`);
  }
});
