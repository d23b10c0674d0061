// Polling for missed pushes against a real git repository whose pushes send no webhook: every
// branch head that matches the filters and that no build has seen is queued once, trigger poll.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { BuildRecord } from '../../../core/records.ts';
import { exec } from '../../../runner/exec.ts';
import { createGit } from '../../../runner/git.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/fixture-repo.ts';
import { eventually, startHarness, type Harness } from './harness.ts';

let repo: FixtureRepo;
let workdir: string;
let h: Harness;

const yaml = (name: string, repoUrl: string, poll: string) => `apiVersion: slipway/v1
kind: Pipeline
metadata: { name: ${name} }
source: { repo: "${repoUrl}", allowLocal: true }
on:
  push:
    ignoreBranches: ["skip/**"]
    poll: ${poll}
`;

before(async () => {
  repo = await fixtureRepo();
  await repo.branch('feature/a');
  await repo.commit({ 'a.txt': 'a\n' });
  await repo.branch('skip/x');
  await repo.commit({ 'x.txt': 'x\n' });
  await repo.branch('main');
  workdir = await mkdtemp(path.join(tmpdir(), 'slipway-poll-'));
  h = await startHarness([yaml('polled', repo.url, '1s'), yaml('unpolled', repo.url, '0')], { git: createGit({ workdir }), pollTickMs: 100 });
});
after(async () => {
  await h.close();
  await repo.cleanup();
  await rm(workdir, { recursive: true, force: true });
});

const byBranch = async (pipeline: string) => {
  const out = new Map<string, BuildRecord[]>();
  for (const b of (await h.allBuilds(pipeline)).reverse()) out.set(b.branch!, [...(out.get(b.branch!) ?? []), b]);
  return out;
};
const sha = async (branch: string) => (await exec(['git', '-C', repo.dir, 'rev-parse', `refs/heads/${branch}`])).stdout.trim();

void test('branch heads no build has seen are queued once with trigger poll; filtered branches and poll 0 are not', async () => {
  const builds = await eventually(async () => {
    const m = await byBranch('polled');
    return m.size === 2 ? m : undefined;
  }, 'the first poll');
  assert.deepEqual([...builds.keys()].sort(), ['feature/a', 'main']);
  for (const [branch, list] of builds) {
    assert.equal(list.length, 1);
    assert.equal(list[0]!.sha, await sha(branch));
    assert.deepEqual(list[0]!.trigger, { type: 'poll' });
    assert.equal(list[0]!.status, 'queued');
  }
  // several more polls: nothing new
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await h.allBuilds('polled')).length, 2);
  assert.deepEqual(await h.allBuilds('unpolled'), []);
});

void test('a push that sent no webhook is found by the next poll and supersedes the older build', async () => {
  const older = (await byBranch('polled')).get('feature/a')![0]!;
  await repo.branch('feature/a');
  const pushed = await repo.commit({ 'b.txt': 'b\n' }, 'a push nobody announced');
  await repo.branch('main');
  const newer = await eventually(async () => (await byBranch('polled')).get('feature/a')?.find((b) => b.sha === pushed), 'the poll build');
  assert.deepEqual(newer.trigger, { type: 'poll' });
  assert.equal(newer.before, older.sha);
  await eventually(async () => ((await h.builds.require(older.id)).status === 'cancelled' ? true : undefined), 'the older build superseded');
  assert.equal((await h.builds.require(older.id)).reason, `superseded by ${newer.id}`);
  assert.deepEqual((await h.queues.builds.getJob(newer.id))?.id, newer.id);
});
