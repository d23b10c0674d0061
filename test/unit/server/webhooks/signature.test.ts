import assert from 'node:assert/strict';
import { test } from 'node:test';
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
