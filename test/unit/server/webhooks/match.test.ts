import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePipelines } from '../../../../pipelines/load.ts';
import { decide, indexPipelines } from '../../../../server/webhooks/match.ts';
import type { PushEvent } from '../../../../server/webhooks/types.ts';

const loaded = (on: string, repo = 'http://h/team/app.git') =>
  parsePipelines(`apiVersion: slipway/v1\nkind: Pipeline\nmetadata:\n  name: app\nsource:\n  repo: ${repo}\n${on}`, 'p.yaml').pipelines[0]!;

const push = (over: Partial<PushEvent> = {}): PushEvent => ({
  forge: 'gitea',
  deliveryId: 'd',
  repoUrls: ['http://h/team/app.git'],
  cloneUrl: 'http://h/team/app.git',
  ref: 'refs/heads/main',
  branch: 'main',
  before: 'a'.repeat(40),
  after: 'b'.repeat(40),
  deleted: false,
  changedFiles: ['src/a.ts'],
  filesComplete: true,
  ...over,
});

void test('pipelines are found by normalised repository URL', () => {
  const p = loaded('');
  const index = indexPipelines([p]);
  assert.deepEqual(index.byRepo(['HTTP://user:pw@H/team/app/']), [p]);
  assert.deepEqual(index.byRepo(['http://h/team/other.git']), []);
});

void test('branch globs, ignoreBranches, tags and paths decide', () => {
  const p = loaded('on:\n  push:\n    branches: ["main", "feature/**"]\n    ignoreBranches: ["feature/wip-*"]\n    paths: ["src/**"]\n    ignorePaths: ["src/**/*.md"]\n    tags: ["v*"]\n');
  assert.deepEqual(decide(p, push()), { build: true, pathsUndecided: false });
  assert.deepEqual(decide(p, push({ branch: 'feature/x/y' })), { build: true, pathsUndecided: false });
  assert.equal(decide(p, push({ branch: 'dev' })).build, false);
  assert.deepEqual(decide(p, push({ branch: 'feature/wip-1' })), { build: false, reason: 'branch matches on.push.ignoreBranches' });
  assert.deepEqual(decide(p, push({ changedFiles: ['docs/x.md'] })), { build: false, reason: 'no changed file matches on.push.paths' });
  assert.equal(decide(p, push({ changedFiles: ['src/readme.md'] })).build, false);
  assert.deepEqual(decide(p, push({ changedFiles: [], filesComplete: false })), { build: true, pathsUndecided: true });
  const { branch: _b, ...noBranch } = push();
  assert.deepEqual(decide(p, { ...noBranch, ref: 'refs/tags/v1.2', tag: 'v1.2' }), { build: true, pathsUndecided: false });
  assert.equal(decide(p, { ...noBranch, ref: 'refs/tags/rc1', tag: 'rc1' }).build, false);
  assert.deepEqual(decide(loaded(''), { ...noBranch, ref: 'refs/tags/v1', tag: 'v1' }), { build: false, reason: 'tag pushes are not configured (on.push.tags)' });
});
