import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CancelledError, ChildProcessError, ConfigError, UnavailableError, ValidationError } from '../../../core/errors.ts';
import { isPermanent, isTransient, retry } from '../../../runner/retry.ts';

const failed = (tail: string[], permanent = true) => new ChildProcessError({ command: ['git', 'fetch'], exitCode: 128, tail, permanent });

void test('transient: marked so, or a command the network or server failed; permanent: everything else', () => {
  assert.equal(isTransient(new UnavailableError('redis is down')), true);
  assert.equal(isTransient(failed(['error: pushing'], false)), true);
  assert.equal(isTransient(failed(["fatal: unable to access 'http://forge/x.git/': The requested URL returned error: 503"])), true);
  assert.equal(isTransient(failed(['fatal: unable to access: Failed to connect to forge port 80: Connection refused'])), true);
  assert.equal(isTransient(failed(['Error: Kubernetes cluster unreachable: Get "https://k/version": dial tcp: i/o timeout'])), true);
  assert.equal(isTransient(Object.assign(new Error('HTTP-Code: 503'), { code: 503 })), true); // client-node's ApiException
  assert.equal(isTransient(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), true);
  assert.equal(isTransient(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) })), true);

  assert.equal(isTransient(failed(["fatal: repository 'http://forge/x.git/' not found"])), false);
  assert.equal(isTransient(failed(['expected 2, got 3'])), false);
  assert.equal(isTransient(Object.assign(new Error('HTTP-Code: 422'), { code: 422 })), false);
  assert.equal(isTransient(new ConfigError('bad pipeline file')), false);
  assert.equal(isTransient(new CancelledError()), false);
  assert.equal(isTransient(new Error('a bug')), false);

  assert.equal(isPermanent(new ValidationError('bad sha')), true);
  assert.equal(isPermanent(failed(['Error: UPGRADE FAILED: chart validation'])), true);
  assert.equal(isPermanent(failed(['connection reset by peer'])), false);
  assert.equal(isPermanent(new Error('a bug, unknown')), false, 'unknown errors are not declared permanent');
});

void test('retry: a transient failure is tried again up to the bound, with growing waits; a permanent one never', async () => {
  let calls = 0;
  const retries: number[] = [];
  const started = Date.now();
  const value = await retry(
    async () => {
      calls++;
      if (calls < 3) throw new UnavailableError('hiccup');
      return 'ok';
    },
    { attempts: 3, backoffMs: 20, onRetry: (_e, attempt) => retries.push(attempt) },
  );
  assert.equal(value, 'ok');
  assert.deepEqual(retries, [1, 2]);
  assert.ok(Date.now() - started >= 55, 'waited 20 ms, then 40 ms');

  calls = 0;
  await assert.rejects(retry(async () => { calls++; throw new UnavailableError('down'); }, { attempts: 4, backoffMs: 1 }), /down/);
  assert.equal(calls, 4);

  calls = 0;
  await assert.rejects(retry(async () => { calls++; throw new ConfigError('bad file'); }, { attempts: 4, backoffMs: 1 }), /bad file/);
  assert.equal(calls, 1);

  calls = 0;
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(retry(async () => { calls++; throw new UnavailableError('down'); }, { attempts: 4, backoffMs: 1, signal: ac.signal }), /down/);
  assert.equal(calls, 1, 'a cancelled build does not try again');
});
