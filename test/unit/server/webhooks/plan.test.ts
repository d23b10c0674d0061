import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ZERO_SHA } from '../../../../core/git-sha.ts';
import { parsePipelines } from '../../../../pipelines/load.ts';
import { gitea } from '../../../../server/webhooks/gitea.ts';
import { gogs } from '../../../../server/webhooks/gogs.ts';
import { plan } from '../../../../server/webhooks/plan.ts';
import type { PushEvent } from '../../../../server/webhooks/types.ts';

const loaded = (name: string, extra = '') =>
  parsePipelines(`apiVersion: slipway/v1\nkind: Pipeline\nmetadata:\n  name: ${name}\nsource:\n  repo: http://h/team/app.git\n${extra}`, 'p.yaml').pipelines[0]!;

const push = (over: Partial<PushEvent> = {}): PushEvent => ({
  forge: 'gitea',
  deliveryId: 'd-1',
  repoUrls: ['http://h/team/app.git'],
  cloneUrl: 'http://h/team/app.git',
  ref: 'refs/heads/main',
  branch: 'main',
  before: 'a'.repeat(40),
  after: 'b'.repeat(40),
  deleted: false,
  pusher: 'ann',
  changedFiles: ['src/a.ts'],
  filesComplete: true,
  ...over,
});

void test('a push plans one build per pipeline that takes it, with the commit, the one before and who pushed', () => {
  const out = plan([loaded('app'), loaded('docs', 'on:\n  push:\n    paths: ["docs/**"]\n')], push());
  assert.deepEqual(out.teardowns, []);
  assert.deepEqual(out.builds, [
    {
      pipeline: 'app',
      trigger: { type: 'push', deliveryId: 'd-1', forge: 'gitea', by: 'ann' },
      repo: 'http://h/team/app.git',
      branch: 'main',
      sha: 'b'.repeat(40),
      before: 'a'.repeat(40),
    },
  ]);
  assert.deepEqual(out.ignored, ['docs: no changed file matches on.push.paths']);
});

void test('a list of files that cannot decide the paths leaves them to the runner', () => {
  const out = plan([loaded('docs', 'on:\n  push:\n    paths: ["docs/**"]\n')], push({ filesComplete: false, changedFiles: [] }));
  assert.equal(out.builds[0]?.pathsUndecided, true);
});

void test('a deleted branch plans a teardown per pipeline that tears down on delete, and no build', () => {
  const out = plan([loaded('app'), loaded('keep', 'environment:\n  teardownOnBranchDelete: false\n')], push({ deleted: true, after: ZERO_SHA }));
  assert.deepEqual(out.builds, []);
  assert.deepEqual(out.teardowns, [{ pipeline: 'app', branch: 'main', reason: 'branch main deleted', deliveryId: 'd-1' }]);
  assert.deepEqual(out.ignored, ['keep: teardownOnBranchDelete is off']);
  assert.deepEqual(plan([loaded('app')], push({ deleted: true, branch: undefined, tag: 'v1', ref: 'refs/tags/v1' })).ignored, ['deleted tag']);
});

void test('a push whose before and after are the same commit is a test delivery: nothing built, nothing torn down', () => {
  for (const sha of [ZERO_SHA, 'c'.repeat(40)]) {
    const out = plan([loaded('app')], push({ before: sha, after: sha }));
    assert.deepEqual(out, { builds: [], teardowns: [], ignored: ['test delivery'] });
  }
});

void test("Gitea's and Gogs' Test Delivery (before and after all zeros on the default branch) is not read as a deletion", () => {
  const payload = {
    ref: 'refs/heads/main',
    before: ZERO_SHA,
    after: ZERO_SHA,
    commits: [],
    repository: { clone_url: 'http://h/team/app.git', html_url: 'http://h/team/app' },
    pusher: { username: 'ann' },
  };
  for (const adapter of [gitea, gogs]) {
    const ev = adapter.normalise({ [`x-${adapter.forge}-event`]: 'push' }, payload, 'd-2');
    assert.ok(ev.kind === 'push');
    assert.equal(ev.push.deleted, false, adapter.forge);
    assert.deepEqual(plan([loaded('app')], ev.push), { builds: [], teardowns: [], ignored: ['test delivery'] });
  }
  // A real deletion pushed: before is a commit, after is zero.
  const deleted = gitea.normalise({ 'x-gitea-event': 'push' }, { ...payload, before: 'a'.repeat(40) }, 'd-3');
  assert.ok(deleted.kind === 'push' && deleted.push.deleted);
  assert.equal(plan([loaded('app')], deleted.push).teardowns.length, 1);
});

void test('tags build only where on.push.tags takes them', () => {
  const tag = push({ ref: 'refs/tags/v1.2', branch: undefined, tag: 'v1.2' });
  assert.deepEqual(plan([loaded('app')], tag).ignored, ['tag pushes are not configured (on.push.tags)']);
  const out = plan([loaded('app', 'on:\n  push:\n    tags: ["v*"]\n')], tag);
  assert.equal(out.builds[0]?.tag, 'v1.2');
  assert.equal(out.builds[0]?.branch, undefined);
});
