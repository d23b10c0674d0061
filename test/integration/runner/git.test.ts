// The git door against real repositories: mirror, incremental fetch, exact-sha worktree,
// branch resolution, diff, ls-remote, and the URL / option guards.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ValidationError } from '../../../core/errors.ts';
import { createGit, validateBranch, validateRepoUrl, validateSha } from '../../../runner/git.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/fixture-repo.ts';

let repo: FixtureRepo;
let workdir: string;
before(async () => {
  repo = await fixtureRepo({ 'app/a.txt': 'one\n', 'docs/readme.md': 'doc\n' });
  workdir = await mkdtemp(path.join(tmpdir(), 'slipway-work-'));
});
after(async () => {
  await repo.cleanup();
  await rm(workdir, { recursive: true, force: true });
});

void test('mirror, then checkout of an exact sha; a new commit arrives by incremental fetch', async () => {
  const git = createGit({ workdir });
  const first = await repo.head();
  const mirror = await git.mirror(repo.url, { allowLocal: true });
  assert.equal(await git.resolveBranch(mirror, 'main'), first);

  const second = await repo.commit({ 'app/a.txt': 'two\n' });
  const again = await git.mirror(repo.url, { allowLocal: true });
  assert.equal(again, mirror, 'one mirror per repository');
  assert.equal(await git.resolveBranch(mirror, 'main'), second);
  assert.equal(await git.hasCommit(mirror, first), true);

  const dest = path.join(workdir, 'builds', 'b1');
  await git.checkout(mirror, first, dest);
  assert.equal(await readFile(path.join(dest, 'app/a.txt'), 'utf8'), 'one\n');
  assert.deepEqual(await git.changedFiles(mirror, first, second), ['app/a.txt']);
  await git.removeCheckout(mirror, dest);
  await assert.rejects(stat(dest));
  assert.deepEqual(await readdir(path.join(workdir, 'mirrors')), [path.basename(mirror)]);
});

void test('ls-remote lists branch heads', async () => {
  await repo.branch('feature/x');
  const sha = await repo.commit({ 'f.txt': 'f\n' });
  await repo.branch('main');
  const branches = await createGit({ workdir }).lsRemoteBranches(repo.url, { allowLocal: true });
  assert.deepEqual(branches.find((b) => b.branch === 'feature/x'), { branch: 'feature/x', sha });
  assert.ok(branches.some((b) => b.branch === 'main'));
});

void test('refuses ext::, unknown schemes, option-like URLs, and file:// unless allowed', async () => {
  const git = createGit({ workdir });
  await assert.rejects(git.mirror('ext::sh -c touch% /tmp/pwned'), ValidationError);
  await assert.rejects(git.mirror(repo.url), /allowLocal/);
  await assert.rejects(git.lsRemoteBranches('--upload-pack=touch /tmp/x'), ValidationError);
  assert.throws(() => validateRepoUrl('ftp://example.com/x.git'), /not allowed/);
  assert.equal(validateRepoUrl('https://example.com/x.git'), 'https://example.com/x.git');
  assert.equal(validateRepoUrl('git@example.com:team/x.git'), 'git@example.com:team/x.git');
});

void test('shas and branch names from payloads are validated before git sees them', async () => {
  const git = createGit({ workdir });
  const mirror = await git.mirror(repo.url, { allowLocal: true });
  assert.throws(() => validateSha('--output=/tmp/x'), ValidationError);
  assert.throws(() => validateSha('abc123'), ValidationError);
  assert.throws(() => validateBranch('--exec=x'), ValidationError);
  assert.throws(() => validateBranch('a..b'), ValidationError);
  assert.equal(validateBranch('feature/x-1'), 'feature/x-1');
  await assert.rejects(git.checkout(mirror, '--help', path.join(workdir, 'x')), ValidationError);
  await assert.rejects(git.resolveBranch(mirror, 'no-such-branch'), /does not exist/);
});
