import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { credentialsFrom, loadCredentials } from '../../../../runner/registry/registry-auth.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

void test('the most specific key wins; URLs and Docker Hub aliases are understood', () => {
  const file = {
    auths: {
      'reg.example.com': { auth: b64('host:one') },
      'reg.example.com/team': { auth: b64('team:two:with:colons') },
      'https://index.docker.io/v1/': { auth: b64('hub:three') },
      'other.example.com': { identitytoken: 'tok' },
    },
  };
  assert.deepEqual(credentialsFrom(file, { registry: 'reg.example.com', repository: 'team/app' }), { username: 'team', password: 'two:with:colons' });
  assert.deepEqual(credentialsFrom(file, { registry: 'reg.example.com', repository: 'else/app' }), { username: 'host', password: 'one' });
  assert.deepEqual(credentialsFrom(file, { registry: 'docker.io', repository: 'library/busybox' }), { username: 'hub', password: 'three' });
  assert.deepEqual(credentialsFrom(file, { registry: 'other.example.com', repository: 'x' }), { identityToken: 'tok' });
  assert.equal(credentialsFrom(file, { registry: 'reg.example.com.evil', repository: 'x' }), undefined);
  assert.equal(credentialsFrom(file, { registry: 'unknown.example.com', repository: 'x' }), undefined);
});

void test('REGISTRY_AUTH_FILE first; DOCKER_CONFIG/config.json otherwise; a broken file is no credentials', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-auth-'));
  try {
    await writeFile(path.join(dir, 'auth.json'), JSON.stringify({ auths: { 'r.example.com': { auth: b64('a:b') } } }));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths: { 'r.example.com': { auth: b64('c:d') } } }));
    const name = { registry: 'r.example.com', repository: 'x' };
    assert.deepEqual(await loadCredentials(name, { REGISTRY_AUTH_FILE: path.join(dir, 'auth.json'), DOCKER_CONFIG: dir }), { username: 'a', password: 'b' });
    assert.deepEqual(await loadCredentials(name, { DOCKER_CONFIG: dir, HOME: dir }), { username: 'c', password: 'd' });
    await writeFile(path.join(dir, 'config.json'), '{not json');
    assert.equal(await loadCredentials(name, { DOCKER_CONFIG: dir, HOME: dir }), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
