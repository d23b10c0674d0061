import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expiryFrom } from '../../../../runner/environments/ttl.ts';

void test('expiry is now plus ttl', () => {
  const now = new Date('2024-01-01T00:00:00.000Z');
  assert.equal(expiryFrom(now, '1h'), '2024-01-01T01:00:00.000Z');
  assert.equal(expiryFrom(now, '0'), undefined);
});
