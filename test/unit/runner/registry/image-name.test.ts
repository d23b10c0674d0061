import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../../../../core/errors.ts';
import { parseImageName, registryApiBase } from '../../../../runner/registry/image-name.ts';

void test('the first component is a registry only with a dot, a port or localhost', () => {
  assert.deepEqual(parseImageName('127.0.0.1:5000/team/app'), { registry: '127.0.0.1:5000', repository: 'team/app' });
  assert.deepEqual(parseImageName('localhost/app'), { registry: 'localhost', repository: 'app' });
  assert.deepEqual(parseImageName('ghcr.io/o/r'), { registry: 'ghcr.io', repository: 'o/r' });
  assert.deepEqual(parseImageName('team/app'), { registry: 'docker.io', repository: 'team/app' });
  assert.deepEqual(parseImageName('busybox'), { registry: 'docker.io', repository: 'library/busybox' });
});

void test('a tag or digest in an image name is refused', () => {
  assert.throws(() => parseImageName('reg:5000/app:1'), ValidationError);
  assert.throws(() => parseImageName('busybox:1'), ValidationError);
  assert.throws(() => parseImageName(`reg:5000/app@sha256:${'0'.repeat(64)}`), ValidationError);
});

void test('loopback registries are plain HTTP, others HTTPS, Docker Hub its API host', () => {
  assert.equal(registryApiBase('127.0.0.1:5000'), 'http://127.0.0.1:5000/v2');
  assert.equal(registryApiBase('localhost:5000'), 'http://localhost:5000/v2');
  assert.equal(registryApiBase('ghcr.io'), 'https://ghcr.io/v2');
  assert.equal(registryApiBase('docker.io'), 'https://registry-1.docker.io/v2');
});
