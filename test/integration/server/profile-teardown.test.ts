// A deleted branch's teardown follows the branch's profile, not the base pipeline.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fixture, pipelineYaml, postHook, startHarness, type Harness } from './harness.ts';

const GOGS_REPO = 'http://127.0.0.1:3000/kiamol/kiamol.git';

let h: Harness;
before(async () => {
  const yaml = `${pipelineYaml('bulletin-board', GOGS_REPO)}profiles:
  - name: stable
    activation: [{ branch: "release/*" }]
    environment: { teardownOnBranchDelete: false }
`;
  h = await startHarness([yaml]);
});
after(async () => h.close());

void test("deleting a branch whose profile keeps its environment queues no teardown; other branches' do", async () => {
  const kept = fixture('gogs-delete.json');
  kept.ref = 'release/1';
  const res = await postHook(h.url, 'gogs', kept, { event: 'delete' });
  assert.deepEqual([res.status, res.body], [200, { ignored: 'teardownOnBranchDelete is off' }]);
  const gone = await postHook(h.url, 'gogs', fixture('gogs-delete.json'), { event: 'delete' });
  assert.deepEqual([gone.status, gone.body], [202, { builds: [], teardowns: [{ pipeline: 'bulletin-board', branch: 'feature/login' }] }]);
  const jobs = await h.queues.teardown.getJobs(['waiting', 'delayed', 'prioritized']);
  assert.deepEqual(jobs.map((j) => j.data.branch), ['feature/login']);
});
