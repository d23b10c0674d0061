import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiRoot, commitStateFor, parseOwnerRepo } from '../../../core/commit-status.ts';

void test('owner and repo come from http, scp-like and ssh clone URLs', () => {
  assert.deepEqual(parseOwnerRepo('http://127.0.0.1:3000/kiamol/kiamol.git'), { origin: 'http://127.0.0.1:3000', owner: 'kiamol', repo: 'kiamol' });
  assert.deepEqual(parseOwnerRepo('https://github.com/acme/app'), { origin: 'https://github.com', owner: 'acme', repo: 'app' });
  assert.deepEqual(parseOwnerRepo('https://git.example.com/sub/path/acme/app.git'), { origin: 'https://git.example.com', owner: 'acme', repo: 'app' });
  assert.deepEqual(parseOwnerRepo('git@github.com:acme/app.git'), { owner: 'acme', repo: 'app' });
  assert.deepEqual(parseOwnerRepo('ssh://git@github.com/acme/app.git'), { owner: 'acme', repo: 'app' });
  assert.equal(parseOwnerRepo('not a url'), undefined);
  assert.equal(parseOwnerRepo('https://github.com/onlyone'), undefined);
});

void test('build statuses map to commit states', () => {
  assert.equal(commitStateFor('queued'), 'pending');
  assert.equal(commitStateFor('running'), 'pending');
  assert.equal(commitStateFor('succeeded'), 'success');
  assert.equal(commitStateFor('failed'), 'failure');
  assert.equal(commitStateFor('cancelled'), 'error');
});

void test("the forge's API root, from its root or its API root, or from the clone URL", () => {
  assert.equal(apiRoot('github', undefined, 'https://github.com'), 'https://api.github.com');
  assert.equal(apiRoot('github', 'https://github.com/', undefined), 'https://api.github.com');
  assert.equal(apiRoot('github', 'https://api.github.com', undefined), 'https://api.github.com');
  assert.equal(apiRoot('github', undefined, 'https://ghe.example.com'), 'https://ghe.example.com/api/v3');
  assert.equal(apiRoot('github', 'https://ghe.example.com/api/v3/', undefined), 'https://ghe.example.com/api/v3');
  assert.equal(apiRoot('gitea', 'https://git.example.com/api/v1', 'https://other'), 'https://git.example.com/api/v1');
  assert.equal(apiRoot('gitea', undefined, 'http://127.0.0.1:3000'), 'http://127.0.0.1:3000/api/v1');
  assert.equal(apiRoot('gitea', undefined, undefined), undefined);
});
