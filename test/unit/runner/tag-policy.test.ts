import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ValidationError } from '../../../core/errors.ts';
import { computeTag, formatGoLayout } from '../../../runner/tag-policy.ts';

const sha = 'a'.repeat(7) + 'b'.repeat(33);
const base = { vars: { BuildNumber: '42', Branch: 'main' }, sha, context: '.' };

void test('the default template is the build number; templates use the fixed variables', async () => {
  assert.equal(await computeTag({ ...base, policy: { template: '{{ .BuildNumber }}' } }), '42');
  assert.equal(await computeTag({ ...base, policy: { template: '{{ .BuildNumber }}-kiamol' } }), '42-kiamol');
});

void test('gitCommit gives the short or full sha', async () => {
  assert.equal(await computeTag({ ...base, policy: { gitCommit: { variant: 'AbbrevCommitSha' } } }), 'aaaaaaa');
  assert.equal(await computeTag({ ...base, policy: { gitCommit: { variant: 'CommitSha' } } }), sha);
});

void test('dateTime formats a Go layout in the given timezone', async () => {
  const now = new Date('2024-03-05T22:04:09.123Z');
  assert.equal(formatGoLayout(now, '2006-01-02_15-04-05', 'UTC'), '2024-03-05_22-04-09');
  assert.equal(formatGoLayout(now, '2006-01-02_15-04-05', 'Europe/Berlin'), '2024-03-05_23-04-09');
  assert.equal(formatGoLayout(now, 'Mon-Jan-2-06.000', 'UTC'), 'Tue-Mar-5-24.123');
  assert.equal(await computeTag({ ...base, now, policy: { dateTime: { format: '20060102', timezone: 'Asia/Tokyo' } } }), '20240306');
  await assert.rejects(computeTag({ ...base, now, policy: { dateTime: { format: '2006', timezone: 'Mars/Olympus' } } }), ValidationError);
});

void test('inputDigest changes with the context contents only', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-tag-'));
  try {
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM x\n');
    const a = await computeTag({ ...base, context: dir, policy: { inputDigest: {} } });
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(await computeTag({ ...base, context: dir, policy: { inputDigest: {} } }), a);
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM y\n');
    assert.notEqual(await computeTag({ ...base, context: dir, policy: { inputDigest: {} } }), a);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('a template giving an invalid tag is a clear error', async () => {
  await assert.rejects(computeTag({ ...base, policy: { template: '{{ .Branch }}/x' } }), /not a valid tag/);
});
