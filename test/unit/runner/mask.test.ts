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

// A canary with the characters escapers treat specially: quote, backslash, slash, space, non-ASCII.
const canary = 'Cn4ry"q\\b/s p€é-9Zk';

/** The forms tools print a secret in, made by the tools' own encoders (not by mask.ts): the encoded part. */
function printedForms(secret: string): Record<string, string> {
  const hexOf = (s: string) => Buffer.from(s).toString('hex');
  return {
    raw: secret,
    base64: Buffer.from(secret).toString('base64'),
    base64url: Buffer.from(secret).toString('base64url'),
    urlComponent: encodeURIComponent(secret),
    urlForm: new URLSearchParams({ q: secret }).toString().slice(2),
    urlLower: encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    json: JSON.stringify(secret).slice(1, -1),
    jsonSlashes: JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'),
    jsonAscii: JSON.stringify(secret).slice(1, -1).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    hex: hexOf(secret),
    hexUpper: hexOf(secret).toUpperCase(),
    basicAuth: Buffer.from(`ci:${secret}`).toString('base64'),
    basicAuthLongUser: Buffer.from(`deploy-bot:${secret}`).toString('base64'),
    base64urlInside: Buffer.from(`xy:${secret}:z`).toString('base64url'),
  };
}

void test('a canary printed raw, base64, base64url, URL-encoded, JSON-escaped, hex or inside basic auth is masked', () => {
  const mask = createMasker([canary]);
  for (const [name, printed] of Object.entries(printedForms(canary))) {
    const masked = mask(`before {"auth":"${printed}"} after`);
    assert.equal(masked, `before {"auth":"${MASK}"} after`, name);
  }
  // in a basic-auth header and a docker config, the whole credential goes (the user too)
  const basic = Buffer.from(`ci:${canary}`).toString('base64');
  assert.equal(mask(`Authorization: Basic ${basic}`), `Authorization: Basic ${MASK}`);
  const docker = JSON.stringify({ auths: { 'r.example': { auth: Buffer.from(`u1:${canary}`).toString('base64') } } });
  assert.equal(mask(docker), `{"auths":{"r.example":{"auth":"${MASK}"}}}`);
  // a short secret's base64 inside other text is not guessed at (too likely by chance), but its own forms are
  assert.equal(createMasker(['abcd'])(`x ${Buffer.from('abcd').toString('base64')} y`), `x ${MASK} y`);
});

void test('credentials in any URL are masked, known or not; a plain git@ user and other text stay', () => {
  const mask = createMasker([]);
  assert.equal(mask('fetching http://ci:hunter22@127.0.0.1:3000/team/app.git'), 'fetching http://ci:***@127.0.0.1:3000/team/app.git');
  assert.equal(mask("fatal: unable to access 'https://ghp_abcdefgh1234@github.com/o/r/'"), "fatal: unable to access 'https://***@github.com/o/r/'");
  assert.equal(mask('ssh://git@github.com/o/r and mail me@example.com'), 'ssh://git@github.com/o/r and mail me@example.com');
  assert.equal(mask('pushed 127.0.0.1:5000/app@sha256:0123abcd'), 'pushed 127.0.0.1:5000/app@sha256:0123abcd');
});

void test('digests, hex and base64 of other values are left alone', () => {
  const mask = createMasker(['a-secret-value-42']);
  const digest = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
  const other = Buffer.from('user:another-password').toString('base64');
  assert.equal(mask(`${digest} ${other}`), `${digest} ${other}`);
});

void test('masking a long base64 line is linear (no backtracking blow-up)', () => {
  const mask = createMasker(['a-secret-value-42', 'second-secret-99']);
  const line = Buffer.alloc(3 * 1024 * 1024, 7).toString('base64');
  const start = performance.now();
  assert.equal(mask(line), line);
  assert.ok(performance.now() - start < 2000, `${performance.now() - start} ms`);
});
