// A push to a pipeline that reports to its forge: the build is queued and the forge (a local
// stand-in for Gitea) gets a pending status for that commit, after the webhook was answered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forgeStandIn } from '../../helpers/forge-stand-in.ts';
import { eventually, fixture, postHook, startHarness } from './harness.ts';

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
