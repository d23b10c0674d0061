// GET /api/events streams every build and environment change (from the stores' writes, over Redis
// pub/sub) to every open stream; the badge, the token check, the pipelines' branches, paging, and
// torn-down environments leaving the list.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readSse, type SseEvent } from '../../../cli/sse.ts';
import type { BuildRecord, EnvironmentRecord } from '../../../core/records.ts';
import { pipelineYaml, startHarness, TOKEN, type Harness } from './harness.ts';

type Json = Record<string, unknown>;

void describe('events, badges and lists', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([pipelineYaml('web', 'http://127.0.0.1:3000/team/web.git')], { heartbeatSeconds: 1 });
  });
  after(async () => h.close());

  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${h.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as Json;
  };

  /** Opens a stream and collects its events until `until` says enough. */
  async function collect(until: (events: SseEvent[]) => boolean, act: () => Promise<void>): Promise<SseEvent[]> {
    const abort = new AbortController();
    const res = await fetch(`${h.url}/api/events`, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events: SseEvent[] = [];
    const reading = (async () => {
      try {
        for await (const ev of readSse(res.body!)) {
          events.push(ev);
          if (ev.event === 'hello') void act();
          if (until(events)) break;
        }
      } catch {
        // aborted
      }
    })();
    const timer = setTimeout(() => abort.abort(), 10_000);
    await reading;
    clearTimeout(timer);
    abort.abort();
    return events;
  }

  void test('two open streams both see a build queued and cancelled, and an environment change', async () => {
    let id = '';
    const both = await Promise.all([
      collect((evs) => evs.some((e) => e.event === 'environment'), async () => undefined),
      collect(
        (evs) => evs.some((e) => e.event === 'environment'),
        async () => {
          await new Promise((r) => setTimeout(r, 200)); // the first stream is open too
          id = String((await post('/api/pipelines/web/builds', { branch: 'main', sha: 'abcdef1234567' })).id);
          await post(`/api/builds/${id}/cancel`);
          const now = new Date().toISOString();
          await h.envs.upsert('web', 'main', () => ({ id: 'web.web-main', pipeline: 'web', branch: 'main', namespace: 'web-main', ownsNamespace: true, releases: ['web'], createdAt: now, updatedAt: now, urls: [], status: 'ready' }));
        },
      ),
    ]);
    for (const events of both) {
      const builds = events.filter((e) => e.event === 'build').map((e) => JSON.parse(e.data) as BuildRecord);
      assert.deepEqual(builds.map((b) => [b.id, b.status]), [[id, 'queued'], [id, 'cancelled']]);
      const env = JSON.parse(events.find((e) => e.event === 'environment')!.data) as EnvironmentRecord;
      assert.equal(env.namespace, 'web-main');
    }
  });

  void test('a build shown on the stream has its repository credentials removed', async () => {
    const events = await collect(
      (evs) => evs.some((e) => e.event === 'build'),
      async () => void (await h.builds.create({ pipeline: 'web', trigger: { type: 'manual' }, repo: 'https://user:s3cret@git.example/web.git', branch: 'x', sha: 'a'.repeat(40) })),
    );
    const shown = events.find((e) => e.event === 'build')!.data;
    assert.doesNotMatch(shown, /s3cret/);
  });

  void test('the badge shows the latest build\'s status as a word, per branch; an unknown pipeline is a 404 badge', async () => {
    const id = String((await post('/api/pipelines/web/builds', { branch: 'badge', sha: 'abcdef1234567' })).id);
    await h.builds.update(id, (r) => ({ ...r, status: 'failed' }));
    const res = await fetch(`${h.url}/api/pipelines/web/badge.svg?branch=badge`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /image\/svg\+xml/);
    const svg = await res.text();
    assert.match(svg, /aria-label="web badge: failed"/);
    assert.match(svg, /#cf222e/);
    const none = await (await fetch(`${h.url}/api/pipelines/web/badge.svg?branch=${encodeURIComponent('<x>')}`)).text();
    assert.match(none, /no builds/);
    assert.doesNotMatch(none, /<x>/, 'the branch is escaped');
    assert.equal((await fetch(`${h.url}/api/pipelines/nope/badge.svg`)).status, 404);
  });

  void test('GET /api/token says whether a token is the API token', async () => {
    assert.equal((await fetch(`${h.url}/api/token`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    assert.equal((await fetch(`${h.url}/api/token`, { headers: { authorization: 'Bearer nope' } })).status, 401);
  });

  void test('pipelines list each branch\'s latest build; builds page with before=; deleted environments only on request', async () => {
    const a1 = String((await post('/api/pipelines/web/builds', { branch: 'pa', sha: 'abcdef1234567' })).id);
    const b1 = String((await post('/api/pipelines/web/builds', { branch: 'pb', sha: 'abcdef1234567' })).id);
    const a2 = String((await post('/api/pipelines/web/builds', { branch: 'pa', sha: 'abcdef1234567' })).id);
    const { pipelines } = (await (await fetch(`${h.url}/api/pipelines`)).json()) as { pipelines: { name: string; branches: { ref: string; lastBuild: BuildRecord }[] }[] };
    const branches = new Map(pipelines[0]!.branches.map((b) => [b.ref, b.lastBuild.id]));
    assert.equal(branches.get('pa'), a2);
    assert.equal(branches.get('pb'), b1);
    const n = (id: string) => Number(id.split('-').pop());
    const page = (await (await fetch(`${h.url}/api/pipelines/web/builds?before=${n(a2)}&limit=2`)).json()) as { builds: BuildRecord[] };
    assert.deepEqual(page.builds.map((b) => b.id), [b1, a1]);

    const now = new Date().toISOString();
    await h.envs.upsert('web', 'gone', () => ({ id: 'web.web-gone', pipeline: 'web', branch: 'gone', namespace: 'web-gone', ownsNamespace: true, releases: [], createdAt: now, updatedAt: now, urls: [], status: 'deleted', deletedAt: now }));
    const listed = (await (await fetch(`${h.url}/api/environments`)).json()) as { environments: EnvironmentRecord[] };
    assert.ok(!listed.environments.some((e) => e.id === 'web.web-gone'));
    const all = (await (await fetch(`${h.url}/api/environments?include=deleted`)).json()) as { environments: EnvironmentRecord[] };
    assert.ok(all.environments.some((e) => e.id === 'web.web-gone'));
  });
});
