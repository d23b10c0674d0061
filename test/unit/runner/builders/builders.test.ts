import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildah } from '../../../../runner/builders/buildah.ts';
import { buildkit } from '../../../../runner/builders/buildkit.ts';
import { docker } from '../../../../runner/builders/docker.ts';
import { kaniko } from '../../../../runner/builders/kaniko.ts';
import { isLoopbackRegistry } from '../../../../runner/builders/types.ts';

const input = {
  context: '/w/app',
  dockerfile: '/w/app/docker/Dockerfile',
  ref: '127.0.0.1:5000/team/app:7',
  buildArgs: { VERSION: '1.2' },
  digestFile: '/tmp/d',
  insecureRegistry: true,
};

void test('buildah builds with vfs and chroot, pushes with a digest file', () => {
  assert.deepEqual(buildah.buildArgv(input), [
    'buildah', '--storage-driver', 'vfs', 'bud', '--isolation', 'chroot', '-f', '/w/app/docker/Dockerfile',
    '-t', '127.0.0.1:5000/team/app:7', '--build-arg', 'VERSION=1.2', '/w/app',
  ]);
  assert.deepEqual(buildah.pushArgv(input), [
    'buildah', '--storage-driver', 'vfs', 'push', '--digestfile', '/tmp/d', '--tls-verify=false',
    '127.0.0.1:5000/team/app:7', 'docker://127.0.0.1:5000/team/app:7',
  ]);
  assert.ok(!buildah.pushArgv({ ...input, insecureRegistry: false })!.includes('--tls-verify=false'));
});

void test('docker, buildkit and kaniko argv', async () => {
  assert.deepEqual(docker.buildArgv(input), ['docker', 'build', '-f', '/w/app/docker/Dockerfile', '-t', input.ref, '--build-arg', 'VERSION=1.2', '/w/app']);
  assert.deepEqual(docker.pushArgv(input), ['docker', 'push', input.ref]);
  assert.equal(await docker.digest(input, `7: digest: sha256:${'c'.repeat(64)} size: 528\n`), `sha256:${'c'.repeat(64)}`);
  const bk = buildkit.buildArgv(input);
  assert.ok(bk.includes('build-arg:VERSION=1.2') && bk.includes('filename=Dockerfile') && bk.includes('dockerfile=/w/app/docker'));
  assert.equal(buildkit.pushArgv(input), undefined);
  assert.ok(kaniko.buildArgv(input).includes('--digest-file'));
});

void test('only loopback registries are treated as insecure', () => {
  assert.equal(isLoopbackRegistry('127.0.0.1:5000/a/b'), true);
  assert.equal(isLoopbackRegistry('localhost:5000/a'), true);
  assert.equal(isLoopbackRegistry('registry.example.com/a'), false);
  assert.equal(isLoopbackRegistry('127.0.0.1.evil.com/a'), false);
});

void test('with a cache repository each builder reuses and pushes layers there; without it none does', () => {
  const cached = { ...input, cacheRepo: '127.0.0.1:5000/team/app/cache' };
  assert.deepEqual(buildah.buildArgv(cached), [
    'buildah', '--storage-driver', 'vfs', 'bud', '--isolation', 'chroot', '-f', '/w/app/docker/Dockerfile',
    '-t', '127.0.0.1:5000/team/app:7', '--layers', '--cache-from', '127.0.0.1:5000/team/app/cache', '--cache-to', '127.0.0.1:5000/team/app/cache',
    '--build-arg', 'VERSION=1.2', '/w/app',
  ]);
  assert.ok(!buildah.buildArgv(input).includes('--layers'));
  const kn = kaniko.buildArgv(cached);
  assert.ok(kn.includes('--cache=true') && kn.includes('--cache-repo=127.0.0.1:5000/team/app/cache'));
  const bk = buildkit.buildArgv(cached);
  assert.ok(bk.includes('type=registry,ref=127.0.0.1:5000/team/app/cache,registry.insecure=true'));
  assert.ok(bk.includes('type=registry,ref=127.0.0.1:5000/team/app/cache,mode=max,registry.insecure=true'));
});

void test('one target platform reaches every builder in its own flag', () => {
  const p = { ...input, platform: 'linux/arm64' };
  const after = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];
  assert.equal(after(buildah.buildArgv(p), '--platform'), 'linux/arm64');
  assert.equal(after(docker.buildArgv(p), '--platform'), 'linux/arm64');
  assert.ok(buildkit.buildArgv(p).includes('platform=linux/arm64'));
  assert.ok(kaniko.buildArgv(p).includes('--custom-platform=linux/arm64'));
  for (const b of [buildah, docker, kaniko]) assert.ok(!b.buildArgv(input).some((a) => a.includes('platform')), b.name);
});
