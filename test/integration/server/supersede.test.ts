// A new push to a branch supersedes that branch's older builds: queued ones end cancelled with the
// newer build named, running ones are asked to stop (record + message to runners).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { subscribeCancel, type CancelMessage } from '../../../core/cancel.ts';
import { eventually, fixture, pipelineYaml, postHook, startHarness, type Harness } from './harness.ts';

const REPO = 'http://127.0.0.1:3001/team/app.git';

void describe('supersede', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([pipelineYaml('app', REPO)]);
  });
  after(async () => h.close());

  void test('20 quick pushes to one branch leave only the newest to run', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const payload = fixture('gitea-push.json');
        payload.after = i.toString(16).padStart(40, 'a');
        return postHook(h.url, 'gitea', payload);
      }),
    );
    assert.ok(answers.every((a) => a.status === 202));
    const builds = await eventually(async () => {
      const all = await h.allBuilds('app');
      return all.length === 20 && all.filter((b) => b.status === 'queued').length === 1 ? all : undefined;
    }, 'all but one build cancelled');
    const [newest, ...older] = builds; // newest first
    assert.equal(newest!.number, 20);
    assert.equal(newest!.status, 'queued');
    for (const b of older) {
      assert.equal(b.status, 'cancelled', b.id);
      const m = /^superseded by app-(\d+)$/.exec(b.reason ?? '');
      assert.ok(m, `${b.id} reason ${b.reason}`);
      assert.ok(Number(m[1]) > b.number);
      assert.match(await h.logs.text(b.id), /cancelled: superseded by app-\d+/);
    }
    const waiting = await h.queues.builds.getJobs(['waiting', 'prioritized', 'delayed']);
    assert.deepEqual(waiting.map((j) => j.id), ['app-20']);
  });

  void test('a running older build is asked to stop, and its record says why', async () => {
    const messages: CancelMessage[] = [];
    const unsubscribe = await subscribeCancel(h.redis, h.keys, (m) => messages.push(m));
    try {
      const first = await postHook(h.url, 'gitea', fixture('gitea-push.json'));
      const firstId = (first.body.builds as { id: string }[])[0]!.id;
      // what a runner does when it takes the job
      const job = await h.queues.builds.getJob(firstId);
      await job!.remove();
      await h.builds.update(firstId, (r) => ({ ...r, status: 'running', startedAt: new Date().toISOString() }));
      const second = await postHook(h.url, 'gitea', fixture('gitea-push.json'));
      const secondId = (second.body.builds as { id: string }[])[0]!.id;
      const record = await eventually(async () => {
        const r = await h.builds.get(firstId);
        return r?.cancelRequested ? r : undefined;
      }, 'cancel requested');
      assert.equal(record.status, 'running');
      assert.equal(record.cancelRequested, `superseded by ${secondId}`);
      await eventually(async () => messages.length > 0, 'cancel message');
      assert.deepEqual(messages, [{ buildId: firstId, reason: `superseded by ${secondId}` }]);
    } finally {
      await unsubscribe();
    }
  });
});
