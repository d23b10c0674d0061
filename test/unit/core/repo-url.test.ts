import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeRepoUrl, redactCredentials, stripCredentials, urlCredentials } from '../../../core/repo-url.ts';

void test('repository URLs compare equal across case, credentials, default port, trailing slash and .git', () => {
  const same = [
    'http://127.0.0.1:3000/kiamol/kiamol.git',
    'HTTP://bot:secret@127.0.0.1:3000/kiamol/kiamol',
    'http://127.0.0.1:3000/kiamol/kiamol/',
    'http://127.0.0.1:3000/kiamol/kiamol.git/',
  ];
  for (const u of same) assert.equal(normalizeRepoUrl(u), 'http://127.0.0.1:3000/kiamol/kiamol', u);
  assert.equal(normalizeRepoUrl('https://GitHub.com:443/Codertocat/Hello-World.git'), 'https://github.com/Codertocat/Hello-World');
  assert.equal(normalizeRepoUrl('git@github.com:Codertocat/Hello-World.git'), 'ssh://github.com/Codertocat/Hello-World');
  assert.equal(normalizeRepoUrl('ssh://git@github.com/Codertocat/Hello-World'), 'ssh://github.com/Codertocat/Hello-World');
  // the port and the path's case still tell repositories apart
  assert.notEqual(normalizeRepoUrl('http://h:3000/a/b'), normalizeRepoUrl('http://h:3001/a/b'));
  assert.notEqual(normalizeRepoUrl('http://h/a/B'), normalizeRepoUrl('http://h/a/b'));
});

void test('credentials are stripped from URLs kept in records', () => {
  assert.equal(stripCredentials('https://bot:tok3n@example.com/a/b.git'), 'https://example.com/a/b.git');
  assert.equal(stripCredentials('not a url'), 'not a url');
});

void test('credentials are redacted from URLs in messages, and named for masking', () => {
  assert.equal(redactCredentials('http://ci:PASSWORD@127.0.0.1:3000/team/app.git'), 'http://ci:***@127.0.0.1:3000/team/app.git');
  assert.equal(redactCredentials('https://ghp_token@github.com/a/b.git'), 'https://***@github.com/a/b.git');
  assert.equal(redactCredentials('redis://:s3cret@10.0.0.5:6379/0'), 'redis://:***@10.0.0.5:6379/0');
  assert.equal(redactCredentials('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  assert.equal(redactCredentials('git@github.com:a/b.git'), 'git@github.com:a/b.git');
  assert.equal(redactCredentials('http://a:b@[bad'), '<unparseable url>');
  assert.deepEqual(urlCredentials('http://ci:p%40ss@h/x'), ['p@ss']);
  assert.deepEqual(urlCredentials('https://ghp_token@github.com/a/b.git'), ['ghp_token']);
  assert.deepEqual(urlCredentials('http://h/x'), []);
});
