// The input digest: the same inputs give the same digest wherever they are checked out; any input
// the builder sees changes it; what .dockerignore leaves out does not.
import assert from 'node:assert/strict';
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { artifactInputDigest, canonicalJson, contextEntries, type ArtifactInputs } from '../../../../runner/build-cache/input-digest.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function context(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-digest-test-'));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

const inputs = (dir: string, more: Partial<ArtifactInputs> = {}): ArtifactInputs => ({
  context: dir,
  dockerfile: path.join(dir, 'Dockerfile'),
  buildArgs: { BASE: 'reg/base:1' },
  builder: 'buildah',
  ...more,
});

const FILES = { Dockerfile: 'FROM x\nCOPY . /app\n', 'src/a.txt': 'a\n', 'src/b.txt': 'b\n', '.dockerignore': 'node_modules\n*.log\n' };

void test('the same inputs in another folder give the same digest', async () => {
  const a = await context(FILES);
  const b = await context(FILES);
  assert.equal(await artifactInputDigest(inputs(a)), await artifactInputDigest(inputs(b)));
  assert.match(await artifactInputDigest(inputs(a)), /^[0-9a-f]{64}$/);
});

void test('a file, the Dockerfile, a build arg, the target, the builder, a required digest each change it', async () => {
  const dir = await context(FILES);
  const base = await artifactInputDigest(inputs(dir));
  const seen = new Set([base]);
  const differs = async (what: string, digest: string) => {
    assert.ok(!seen.has(digest), `${what} did not change the digest`);
    seen.add(digest);
  };
  await differs('build arg', await artifactInputDigest(inputs(dir, { buildArgs: { BASE: 'reg/base:2' } })));
  await differs('target', await artifactInputDigest(inputs(dir, { target: 'test' })));
  await differs('builder', await artifactInputDigest(inputs(dir, { builder: 'kaniko' })));
  await differs('builder settings', await artifactInputDigest(inputs(dir, { builderSettings: { platform: 'linux/arm64' } })));
  await differs('required digest', await artifactInputDigest(inputs(dir, { requires: [{ image: 'reg/lib', digest: `sha256:${'1'.repeat(64)}` }] })));
  await writeFile(path.join(dir, 'src/a.txt'), 'a changed\n');
  await differs('file content', await artifactInputDigest(inputs(dir)));
  await chmod(path.join(dir, 'src/a.txt'), 0o755);
  await differs('execute bit', await artifactInputDigest(inputs(dir)));
  await writeFile(path.join(dir, 'Dockerfile'), 'FROM x\nCOPY . /srv\n');
  await differs('Dockerfile', await artifactInputDigest(inputs(dir)));
  await writeFile(path.join(dir, 'src/new.txt'), '');
  await differs('new empty file', await artifactInputDigest(inputs(dir)));
  await mkdir(path.join(dir, 'empty'));
  await differs('new empty folder', await artifactInputDigest(inputs(dir)));
  await symlink('src/a.txt', path.join(dir, 'link'));
  await differs('symlink', await artifactInputDigest(inputs(dir)));
});

void test('files .dockerignore leaves out do not change it; what it brings back with ! does', async () => {
  const dir = await context({ ...FILES, 'node_modules/x/index.js': '1', 'debug.log': 'x', 'src/deep.log': 'kept: *.log is the top folder only' });
  const base = await artifactInputDigest(inputs(dir));
  await writeFile(path.join(dir, 'node_modules/x/index.js'), '2');
  await writeFile(path.join(dir, 'debug.log'), 'y');
  assert.equal(await artifactInputDigest(inputs(dir)), base);
  await writeFile(path.join(dir, 'src/deep.log'), 'changed');
  assert.notEqual(await artifactInputDigest(inputs(dir)), base);

  await writeFile(path.join(dir, '.dockerignore'), 'node_modules\n!node_modules/keep.js\n');
  await writeFile(path.join(dir, 'node_modules/keep.js'), 'k');
  const entries = await contextEntries(dir);
  assert.ok(entries.includes('node_modules/keep.js'), entries.join(' '));
  assert.ok(!entries.includes('node_modules/x/index.js'));
});

void test('.containerignore is read before .dockerignore, as buildah does', async () => {
  const dir = await context({ ...FILES, '.containerignore': 'src/a.txt\n' });
  const entries = await contextEntries(dir);
  assert.ok(!entries.includes('src/a.txt'));
  assert.ok(entries.includes('src/b.txt'));
});

void test('a copy with another checkout time and owner keeps the digest (no times, no owners)', async () => {
  const a = await context(FILES);
  const b = path.join(await mkdtemp(path.join(tmpdir(), 'slipway-digest-copy-')), 'ctx');
  dirs.push(path.dirname(b));
  await new Promise((r) => setTimeout(r, 20));
  await cp(a, b, { recursive: true, preserveTimestamps: false });
  assert.equal(await artifactInputDigest(inputs(b)), await artifactInputDigest(inputs(a)));
});

void test('canonical JSON sorts keys and drops undefined', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }), '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
});
