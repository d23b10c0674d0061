import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ValidationError } from '../../../core/errors.ts';
import { formatGoLayout, inputDigest } from '../../../runner/tag-policy.ts';

void test('dateTime formats a Go layout in the given timezone', () => {
  const now = new Date('2024-03-05T22:04:09.123Z');
  assert.equal(formatGoLayout(now, '2006-01-02_15-04-05', 'UTC'), '2024-03-05_22-04-09');
  assert.equal(formatGoLayout(now, '2006-01-02_15-04-05', 'Europe/Berlin'), '2024-03-05_23-04-09');
  assert.equal(formatGoLayout(now, 'Mon-Jan-2-06.000', 'UTC'), 'Tue-Mar-5-24.123');
  assert.equal(formatGoLayout(now, '20060102', 'Asia/Tokyo'), '20240306');
  assert.throws(() => formatGoLayout(now, '2006', 'Mars/Olympus'), ValidationError);
});

void test('inputDigest changes with the context contents only', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-tag-'));
  try {
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM x\n');
    const a = await inputDigest(dir);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(await inputDigest(dir), a);
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM y\n');
    assert.notEqual(await inputDigest(dir), a);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
