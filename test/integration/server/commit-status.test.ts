// A push to a pipeline that reports to its forge: the build is queued and the forge (a local
// stand-in for Gitea) gets a pending status for that commit, after the webhook was answered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forgeStandIn } from '../../helpers/forge-stand-in.ts';
import { eventually, fixture, postHook, startHarness, TOKEN } from './harness.ts';

void test('a queued build sends a pending commit status to the forge', async () => {
  const forge = await forgeStandIn(201);
  const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: { name: reported }
source:
  repo: http://127.0.0.1:3001/team/app.git
  secret: { env: HOOK_SECRET }
  status: { forge: gitea, apiUrl: "${forge.url}", token: { env: GITEA_TOKEN } }
`;
  const h = await startHarness([yaml], { env: { GITEA_TOKEN: 'gitea-token-91c2' } });
  try {
    const payload = fixture('gitea-push.json') as { after: string };
    const res = await postHook(h.url, 'gitea', payload);
    assert.equal(res.status, 202);
    const [seen] = await eventually(async () => (forge.seen.length ? forge.seen : undefined), 'the pending status');
    assert.equal(seen!.url, `/api/v1/repos/team/app/statuses/${payload.after}`);
    assert.equal(seen!.body.state, 'pending');
    assert.equal(seen!.headers.authorization, 'token gitea-token-91c2');
    const builds = res.body.builds as { id: string }[];
    assert.equal(seen!.body.target_url, `http://slipway.test/builds/${builds[0]!.id}`);
  } finally {
    await h.close();
    await forge.close();
  }
});

void test('a build superseded or cancelled while queued sends its final status, after its pending one', async () => {
  const forge = await forgeStandIn(201);
  const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: { name: reported }
source:
  repo: http://127.0.0.1:3001/team/app.git
  secret: { env: HOOK_SECRET }
  status: { forge: gitea, apiUrl: "${forge.url}/api/v1", token: { env: GITEA_TOKEN } }
`;
  const h = await startHarness([yaml], { env: { GITEA_TOKEN: 'gitea-token-91c2' } });
  try {
    const first = fixture('gitea-push.json') as { after: string };
    const second = { ...fixture('gitea-push.json'), before: first.after, after: 'c'.repeat(40) };
    const a = await postHook(h.url, 'gitea', first);
    const b = await postHook(h.url, 'gitea', second);
    assert.deepEqual([a.status, b.status], [202, 202]);
    const [older] = a.body.builds as { id: string }[];
    const [newer] = b.body.builds as { id: string }[];
    const forSha = (sha: string) => forge.seen.filter((s) => s.url.endsWith(`/statuses/${sha}`)).map((s) => [s.body.state, s.body.description]);
    await eventually(async () => forSha(first.after).length === 2 || undefined, 'the superseded build\'s final status');
    assert.deepEqual(forSha(first.after), [['pending', 'queued'], ['error', `superseded by ${newer!.id}`]]);
    assert.equal((await h.builds.require(older!.id)).status, 'cancelled');

    const cancel = await fetch(`${h.url}/api/builds/${newer!.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(cancel.status, 202);
    await eventually(async () => forSha(second.after).length === 2 || undefined, 'the cancelled build\'s final status');
    assert.deepEqual(forSha(second.after), [['pending', 'queued'], ['error', 'cancelled by api']]);
  } finally {
    await h.close();
    await forge.close();
  }
});
