// A captured push re-sent under a fresh delivery id (the delivery header is not signed) is a replay:
// within the window it is answered 200 {ignored: "duplicate push"} and builds nothing; a person
// re-runs a build through the API instead.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fixture, pipelineYaml, postHook, startHarness, TOKEN, type Harness } from './harness.ts';

const GITEA_REPO = 'http://127.0.0.1:3001/team/app';

void describe('replayed pushes', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([pipelineYaml('app', GITEA_REPO)], { duplicatePushSeconds: 3600 });
  });
  after(async () => h.close());

  void test('the same push under a fresh delivery id builds once; a new commit builds; a re-run goes through the API', async () => {
    const first = await postHook(h.url, 'gitea', fixture('gitea-push.json'), { delivery: randomUUID() });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const [built] = first.body.builds as { id: string }[];
    for (let i = 0; i < 3; i++) {
      const replay = await postHook(h.url, 'gitea', fixture('gitea-push.json'), { delivery: randomUUID() });
      assert.deepEqual([replay.status, replay.body], [200, { ignored: 'duplicate push' }]);
    }
    assert.deepEqual((await h.allBuilds('app')).map((b) => b.id), [built!.id]);
    assert.deepEqual((await h.queues.builds.getWaiting()).map((j) => j.id), [built!.id]);

    const next = fixture('gitea-push.json');
    Object.assign(next, { before: next.after, after: 'f'.repeat(40) });
    const newer = await postHook(h.url, 'gitea', next, { delivery: randomUUID() });
    assert.equal(newer.status, 202, JSON.stringify(newer.body));

    const rerun = await fetch(`${h.url}/api/builds/${built!.id}/rerun`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(rerun.status, 201);
    const again = (await rerun.json()) as { sha: string; trigger: { type: string } };
    assert.equal(again.sha, fixture('gitea-push.json').after);
    assert.equal(again.trigger.type, 'rerun');
    assert.equal((await h.allBuilds('app')).length, 3);
  });
});

void describe('the replay window', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([pipelineYaml('app', GITEA_REPO)], { duplicatePushSeconds: 1 });
  });
  after(async () => h.close());

  void test('after the window the same push builds again', async () => {
    assert.equal((await postHook(h.url, 'gitea', fixture('gitea-push.json'))).status, 202);
    assert.equal((await postHook(h.url, 'gitea', fixture('gitea-push.json'))).body.ignored, 'duplicate push');
    await new Promise<void>((r) => setTimeout(r, 1500));
    assert.equal((await postHook(h.url, 'gitea', fixture('gitea-push.json'))).status, 202);
    assert.equal((await h.allBuilds('app')).length, 2);
  });
});
