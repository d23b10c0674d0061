// The REST API against a real Redis: tokens on writes, manual trigger, rerun, cancel, the log as
// text and as SSE with Last-Event-ID resume, environments, health and metrics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { followLog } from '../../../cli/sse.ts';
import type { BuildRecord } from '../../../core/records.ts';
import { pipelineYaml, startHarness, TOKEN, type Harness } from './harness.ts';

type Json = Record<string, unknown>;

void describe('REST API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([pipelineYaml('web', 'http://127.0.0.1:3000/team/web.git')], { heartbeatSeconds: 1 });
  });
  after(async () => h.close());

  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${h.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };

  void test('writes without the token are 401 and change nothing', async () => {
    for (const [method, path] of [
      ['POST', '/api/pipelines/web/builds'],
      ['POST', '/api/builds/web-1/rerun'],
      ['POST', '/api/builds/web-1/cancel'],
      ['DELETE', '/api/environments/web.web-main'],
    ] as const) {
      const none = await call(method, path, { branch: 'main' }, null);
      assert.equal(none.status, 401, `${method} ${path}`);
      assert.equal((none.body.error as Json).type, 'unauthorized');
      const wrong = await call(method, path, { branch: 'main' }, 'not-the-token');
      assert.equal(wrong.status, 401);
    }
    assert.deepEqual(await h.allBuilds('web'), []);
  });

  void test('manual trigger, list, get; rerun makes a new number for the same sha', async () => {
    const bad = await call('POST', '/api/pipelines/web/builds', { branch: 'main', sha: 'not hex' });
    assert.equal(bad.status, 400);
    assert.match((bad.body.error as Json).message as string, /sha: must be a commit sha/);
    const missing = await call('POST', '/api/pipelines/nope/builds', { branch: 'main' });
    assert.equal(missing.status, 404);

    const headless = await call('POST', '/api/pipelines/web/builds', { branch: 'main' });
    assert.equal(headless.status, 201);
    assert.equal(headless.body.sha, '');
    assert.deepEqual(headless.body.trigger, { type: 'manual', by: 'api' });

    const sha = 'c0ffee0000000000000000000000000000000001';
    const created = await call('POST', '/api/pipelines/web/builds', { branch: 'release', sha, params: { FLAVOUR: 'mint' } });
    assert.equal(created.status, 201);
    const build = created.body as unknown as BuildRecord;
    assert.equal(build.number, 2);

    const got = await call('GET', `/api/builds/${build.id}`, undefined, null);
    assert.equal(got.status, 200);
    assert.equal(got.body.sha, sha);
    assert.equal((await call('GET', '/api/builds/web-999', undefined, null)).status, 404);

    const rerun = await call('POST', `/api/builds/${build.id}/rerun`);
    assert.equal(rerun.status, 201);
    assert.equal(rerun.body.number, 3);
    assert.equal(rerun.body.sha, sha);
    assert.equal(rerun.body.branch, 'release');
    assert.deepEqual(rerun.body.params, { FLAVOUR: 'mint' });
    assert.deepEqual(rerun.body.trigger, { type: 'rerun', rerunOf: build.id, by: 'api' });

    const list = await call('GET', '/api/pipelines/web/builds?branch=release', undefined, null);
    assert.deepEqual((list.body.builds as Json[]).map((b) => b.id), ['web-3', 'web-2']);
    const badQuery = await call('GET', '/api/pipelines/web/builds?status=done', undefined, null);
    assert.equal(badQuery.status, 400);
    const pipelines = await call('GET', '/api/pipelines', undefined, null);
    assert.deepEqual((pipelines.body.pipelines as Json[]).map((p) => [p.name, (p.lastBuild as Json).id]), [['web', 'web-3']]);
  });

  void test('cancel takes a queued build off the queue; a finished build is a conflict', async () => {
    const created = await call('POST', '/api/pipelines/web/builds', { branch: 'cancel-me' });
    const id = created.body.id as string;
    const res = await call('POST', `/api/builds/${id}/cancel`);
    assert.equal(res.status, 202);
    assert.equal(res.body.outcome, 'cancelled');
    assert.equal((res.body.build as Json).status, 'cancelled');
    assert.equal((res.body.build as Json).reason, 'cancelled by api');
    assert.equal(await h.queues.builds.getJob(id), undefined);
    const again = await call('POST', `/api/builds/${id}/cancel`);
    assert.equal(again.status, 409);
    assert.equal((again.body.error as Json).type, 'conflict');
  });

  void test('the log as text, and followed over SSE resuming from Last-Event-ID', async () => {
    const created = await call('POST', '/api/pipelines/web/builds', { branch: 'logs' });
    const id = created.body.id as string;
    await h.logs.append(id, ['checkout: ok', 'build: step 1', 'build: step 2']);
    const text = await fetch(`${h.url}/api/builds/${id}/log`);
    assert.equal(text.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(await text.text(), 'checkout: ok\nbuild: step 1\nbuild: step 2\n');

    const seen: [number, string][] = [];
    const done = followLog(`${h.url}/api/builds/${id}/log`, { lastEventId: 2, onLine: (line, n) => seen.push([n, line]) });
    await h.logs.append(id, ['deploy: multi\nline']);
    await h.logs.end(id, 'succeeded');
    assert.equal(await done, 'succeeded');
    assert.deepEqual(seen, [
      [3, 'build: step 2'],
      [4, 'deploy: multi\nline'],
    ]);

    const raw = await fetch(`${h.url}/api/builds/${id}/log`, { headers: { accept: 'text/event-stream', 'last-event-id': '3' } });
    const body = await raw.text();
    assert.equal(raw.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.match(body, /id: 4\ndata: deploy: multi\ndata: line\n\nid: 5\nevent: end\ndata: \{"status":"succeeded"\}\n\n$/);
  });

  void test('a finished build whose log has no end entry still ends the stream', async () => {
    const created = await call('POST', '/api/pipelines/web/builds', { branch: 'no-end' });
    const id = created.body.id as string;
    await h.builds.update(id, (r) => ({ ...r, status: 'failed', finishedAt: new Date().toISOString() }));
    assert.equal(await followLog(`${h.url}/api/builds/${id}/log`, { onLine: () => undefined }), 'failed');
  });

  void test('environments are listed, and DELETE queues a teardown', async () => {
    const now = new Date().toISOString();
    await h.envs.upsert('web', 'main', () => ({
      id: 'web.web-main',
      pipeline: 'web',
      branch: 'main',
      namespace: 'web-main',
      ownsNamespace: true,
      releases: ['web'],
      createdAt: now,
      updatedAt: now,
      urls: [],
      status: 'ready',
    }));
    const list = await call('GET', '/api/environments', undefined, null);
    assert.deepEqual((list.body.environments as Json[]).map((e) => e.id), ['web.web-main']);
    const del = await call('DELETE', '/api/environments/web.web-main');
    assert.equal(del.status, 202);
    const jobs = await h.queues.teardown.getJobs(['waiting']);
    assert.deepEqual(jobs.map((j) => [j.data.pipeline, j.data.branch]), [['web', 'main']]);
    assert.equal((await call('DELETE', '/api/environments/nope')).status, 404);
  });

  void test('health, readiness and metrics', async () => {
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${h.url}/readyz`)).status, 200);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    assert.match(metrics, /slipway_builds_total\{pipeline="web",status="queued"\} \d+/);
    assert.match(metrics, /slipway_builds_total\{pipeline="web",status="cancelled"\} 1/);
    assert.match(metrics, /slipway_queue_depth\{queue="builds",state="waiting"\} \d+/);
    assert.match(metrics, /slipway_recent_builds\{pipeline="web",status="failed"\} 1/);
    assert.match(metrics, /slipway_http_request_duration_seconds_count\{method="POST",route="\/api\/pipelines\/:name\/builds",status="201"\} \d+/);
    const nope = await call('GET', '/api/nothing-here', undefined, null);
    assert.equal(nope.status, 404);
    assert.equal((nope.body.error as Json).type, 'not-found');
    const badJson = await fetch(`${h.url}/api/pipelines/web/builds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{oops',
    });
    assert.equal(badJson.status, 400);
  });
});
