import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLineSplitter, createMasker, createSecrets, MASK, secretForms } from '../../../runner/mask.ts';

const secret = 's3cr3t/va+lue=&x';

void test('masks the value, its base64 and URL-encoded forms', () => {
  const mask = createMasker([secret]);
  const b64 = Buffer.from(secret).toString('base64');
  const line = `plain=${secret} b64=${b64} url=${encodeURIComponent(secret)} b64url=${Buffer.from(secret).toString('base64url')}`;
  const masked = mask(line);
  for (const form of secretForms(secret)) assert.ok(!masked.includes(form), `${form} leaked: ${masked}`);
  assert.equal(masked, `plain=${MASK} b64=${MASK} url=${MASK} b64url=${MASK}`);
});

void test('leaves text alone without secrets, and ignores values too short to mask', () => {
  assert.equal(createMasker([])('hello'), 'hello');
  assert.equal(createMasker(['ab'])('abcab'), 'abcab');
});

void test('a secret split across chunks is masked once the line is complete', () => {
  const lines: string[] = [];
  const split = createLineSplitter(createMasker([secret]), (l) => lines.push(l));
  split.push('before s3cr');
  split.push('3t/va+');
  split.push('lue=&x after\nsecond ');
  split.push('line\r\nno newline at end');
  split.flush();
  assert.deepEqual(lines, [`before ${MASK} after`, 'second line', 'no newline at end']);
});

void test('a build\'s secrets: a value added later is masked from then on, with its encoded forms', () => {
  const secrets = createSecrets(['api-token-1']);
  assert.equal(secrets.mask('token api-token-1'), `token ${MASK}`);
  assert.equal(secrets.mask(`step ${secret}`), `step ${secret}`);
  secrets.add(secret);
  secrets.add(secret); // twice is once
  secrets.add('ab'); // too short to mask
  assert.equal(secrets.mask(`step ${secret} ${Buffer.from(secret).toString('base64')} ab`), `step ${MASK} ${MASK} ab`);
  assert.deepEqual(secrets.values(), ['api-token-1', secret]);
});
