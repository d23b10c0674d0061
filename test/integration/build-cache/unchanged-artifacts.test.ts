// Unchanged artifacts are not built again, on any runner: the registry is the cache. Against the
// testenv's registry and buildah; every build runs in a fresh, empty work folder.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { registryDigest, cacheHarness, SERVICES, type BuildRun, type CacheHarness } from './harness.ts';
import { isBuildah } from '../../helpers/buildah-argv.ts';

let h: CacheHarness;
let first: BuildRun;
before(async () => {
  h = await cacheHarness();
  first = await h.run(h.pipeline(), 1);
});
after(async () => {
  await h.cleanup();
});

const digests = (r: BuildRun) => Object.fromEntries(r.record.images.map((i) => [i.name, i.digest]));

void test('the first build builds all seven and tags each with its input digest', async () => {
  assert.equal(first.record.status, 'succeeded', first.log);
  assert.equal(first.builds.length, 7);
  for (const img of first.record.images) {
    assert.equal(await registryDigest(img.name, '1'), img.digest);
    assert.match(first.log, new RegExp(`pushed ${img.name}:1@${img.digest}`));
  }
});

void test('one artifact changed: one builder run, six reused with their digests, tagged registry-side', async () => {
  await h.repo.commit({ 'svc-3/message.txt': 'svc-3 v2\n' }, 'change svc-3');
  const second = await h.run(h.pipeline(), 2);
  assert.equal(second.record.status, 'succeeded', second.log);
  assert.equal(second.builds.length, 1, second.builds.map((b) => b.join(' ')).join('\n'));
  assert.equal(second.builds[0]!.at(-1)!.endsWith('/svc-3'), true);
  const before = digests(first);
  for (const img of second.record.images) {
    const reused = !img.name.endsWith('/svc-3');
    assert.equal(img.tag, '2');
    assert.equal(await registryDigest(img.name, '2'), img.digest);
    if (reused) {
      assert.equal(img.digest, before[img.name], `${img.name} was rebuilt`);
      assert.ok(second.log.includes(`unchanged, reused ${img.name}:2@${img.digest}`), second.log);
    } else {
      assert.notEqual(img.digest, before[img.name]);
    }
  }
  // no image was pulled or pushed for the reused six: the only buildah commands are svc-3's
  const buildah = second.calls.filter((c) => isBuildah(c.argv));
  assert.ok(buildah.every((c) => c.argv.some((a) => a.includes('svc-3'))), buildah.map((c) => c.argv.join(' ')).join('\n'));
});

void test('a push changing nothing (or only ignored files) runs no builder at all', async () => {
  await h.repo.commit({ 'svc-1/notes/todo.md': 'ignored by .dockerignore\n', 'README.md': 'outside every context\n' }, 'docs');
  const third = await h.run(h.pipeline(), 3);
  assert.equal(third.record.status, 'succeeded', third.log);
  assert.equal(third.builds.length, 0);
  assert.equal(third.calls.filter((c) => isBuildah(c.argv)).length, 0);
  assert.equal(third.record.images.length, SERVICES.length);
  for (const img of third.record.images) assert.equal(await registryDigest(img.name, '3'), img.digest);
});

void test('--no-cache and build.cache: false build every artifact again', async () => {
  const forced = await h.run(h.pipeline(), 4, { noCache: true });
  assert.equal(forced.record.status, 'succeeded', forced.log);
  assert.equal(forced.builds.length, 7);
  assert.ok(!forced.log.includes('unchanged, reused'));

  const off = await h.run(h.pipeline({ cache: false, artifacts: h.pipeline().build.artifacts.slice(0, 2) }), 5);
  assert.equal(off.record.status, 'succeeded', off.log);
  assert.equal(off.builds.length, 2);
});

void test('a tag never moves: a restarted number fails with the reason, an identical rebuild of it is fine', async () => {
  // build 3 changed nothing: running "3" again lands on the same digests, which is no overwrite
  const again = await h.run(h.pipeline(), 3);
  assert.equal(again.record.status, 'succeeded', again.log);
  assert.equal(again.builds.length, 0);

  // numbers restarted at 1: svc-3 (changed since build 1) and svc-5 (changed now) would overwrite :1
  await h.repo.commit({ 'svc-5/message.txt': 'svc-5 v2\n' }, 'change svc-5');
  const restarted = await h.run(h.pipeline(), 1);
  assert.equal(restarted.record.status, 'failed');
  assert.match(restarted.record.reason ?? '', /svc-[35]:1 already exists in the registry as sha256:[0-9a-f]{64}, and image tags are immutable/);
  assert.equal(restarted.builds.length, 0, 'nothing was built for a tag that cannot be pushed');
  for (const s of ['svc-3', 'svc-5']) assert.equal(await registryDigest(h.image(s), '1'), digests(first)[h.image(s)], `${s}:1 moved`);
});
