import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gitea } from '../../../../server/webhooks/gitea.ts';
import { github } from '../../../../server/webhooks/github.ts';
import { gogs } from '../../../../server/webhooks/gogs.ts';
import { hmacHex, signatureValid } from '../../../../server/webhooks/signature.ts';

void test('HMAC-SHA256 signatures are checked over the exact bytes', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  const sig = hmacHex('s3cret', body);
  assert.equal(signatureValid('s3cret', body, sig), true);
  assert.equal(signatureValid('s3cret', body, sig.toUpperCase()), true);
  assert.equal(signatureValid('other', body, sig), false);
  assert.equal(signatureValid('s3cret', Buffer.from('{"ref":"refs/heads/main"} '), sig), false);
  assert.equal(signatureValid('s3cret', body, sig.slice(2)), false);
  assert.equal(signatureValid('s3cret', body, `${sig.slice(0, 62)}zz`), false);
  assert.equal(signatureValid('s3cret', body, ''), false);
});

// GitHub's documented test values ("Validating webhook deliveries"): secret, payload and the
// X-Hub-Signature-256 header GitHub sends for them. Gitea and Gogs sign the same way (hex HMAC-SHA256
// of the body with the secret, in X-Gitea-Signature / X-Gogs-Signature, without the prefix).
const GITHUB_SECRET = "It's a Secret to Everybody";
const GITHUB_PAYLOAD = 'Hello, World!';
const GITHUB_HEADER = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

void test("GitHub's documented known-answer vector verifies through the adapters' headers", () => {
  const body = Buffer.from(GITHUB_PAYLOAD);
  assert.equal(`sha256=${hmacHex(GITHUB_SECRET, body)}`, GITHUB_HEADER);
  const fromGithub = github.signature({ 'x-hub-signature-256': GITHUB_HEADER });
  assert.ok(fromGithub !== undefined);
  assert.equal(signatureValid(GITHUB_SECRET, body, fromGithub), true);
  const hex = GITHUB_HEADER.slice('sha256='.length);
  for (const [adapter, header] of [[gitea, 'x-gitea-signature'], [gogs, 'x-gogs-signature']] as const) {
    const given = adapter.signature({ [header]: hex });
    assert.ok(given !== undefined, header);
    assert.equal(signatureValid(GITHUB_SECRET, body, given), true, header);
  }
  assert.equal(signatureValid(GITHUB_SECRET, Buffer.from('Hello, World?'), fromGithub), false);
  assert.equal(signatureValid("It's a secret to everybody", body, fromGithub), false);
});
