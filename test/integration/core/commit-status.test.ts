// Commit statuses against a local HTTP server on 127.0.0.1 standing in for GitHub and Gitea.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../../../pipelines/schema.ts';
import { reportStatus } from '../../../core/commit-status.ts';
import { capturedLogger } from '../../helpers/captured-logger.ts';
import { forgeStandIn } from '../../helpers/forge-stand-in.ts';

const fakeForge = forgeStandIn;


function pipeline(status: Record<string, unknown>, repo = 'http://127.0.0.1:3000/kiamol/kiamol.git'): Pipeline {
  return Pipeline.parse({ apiVersion: 'slipway/v1', kind: 'Pipeline', metadata: { name: 'bulletin-board' }, source: { repo, status } });
}

const TOKEN = 'tok-6f1c2e9a-very-secret';
const SHA = 'a'.repeat(40);

void test('GitHub: POST /repos/{owner}/{repo}/statuses/{sha} with token auth, target_url and context', async () => {
  const forge = await fakeForge(201);
  const { log, lines } = capturedLogger();
  try {
    const result = await reportStatus({
      pipeline: pipeline({ forge: 'github', apiUrl: `${forge.url}/api/v3`, token: { env: 'GH_STATUS_TOKEN' } }, 'https://github.com/acme/app.git'),
      build: { id: 'bulletin-board-7', sha: SHA, number: 7 },
      state: 'success',
      publicUrl: 'http://slipway.example:8080/',
      environmentUrl: 'http://bb-feature.example/',
      env: { GH_STATUS_TOKEN: TOKEN },
      log,
    });
    assert.deepEqual(result, { sent: true, status: 201 });
    assert.equal(forge.seen.length, 1);
    const [req] = forge.seen;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.url, `/api/v3/repos/acme/app/statuses/${SHA}`);
    assert.equal(req!.headers.authorization, `token ${TOKEN}`);
    assert.deepEqual(req!.body, {
      state: 'success',
      target_url: 'http://slipway.example:8080/builds/bulletin-board-7',
      description: 'http://bb-feature.example/',
      context: 'slipway/bulletin-board',
    });
    assert.ok(!lines.join('').includes(TOKEN));
  } finally {
    await forge.close();
  }
});

void test('Gitea: POST /api/v1/repos/{owner}/{repo}/statuses/{sha} with the configured context', async () => {
  const forge = await fakeForge(201);
  const { log } = capturedLogger();
  try {
    const result = await reportStatus({
      pipeline: pipeline({ forge: 'gitea', apiUrl: forge.url, token: { env: 'GITEA_TOKEN' }, context: 'ci/slipway' }),
      build: { id: 'bulletin-board-8', sha: SHA, number: 8 },
      state: 'pending',
      publicUrl: 'http://127.0.0.1:8080',
      env: { GITEA_TOKEN: TOKEN },
      log,
    });
    assert.equal(result.sent, true);
    const [req] = forge.seen;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.url, `/api/v1/repos/kiamol/kiamol/statuses/${SHA}`);
    assert.equal(req!.headers.authorization, `token ${TOKEN}`);
    assert.equal(req!.body.state, 'pending');
    assert.equal(req!.body.context, 'ci/slipway');
    assert.equal(req!.body.target_url, 'http://127.0.0.1:8080/builds/bulletin-board-8');
    assert.equal(req!.body.description, 'Build #8 in progress');
  } finally {
    await forge.close();
  }
});

void test('source.status.apiUrl may be the forge root or its API root, for GitHub and Gitea alike', async () => {
  const forge = await fakeForge(201);
  const { log, lines } = capturedLogger();
  const forms: [forge: 'github' | 'gitea', apiUrl: string, path: string][] = [
    ['github', forge.url, '/api/v3'], // GitHub Enterprise Server's root
    ['github', `${forge.url}/`, '/api/v3'],
    ['github', `${forge.url}/api/v3`, '/api/v3'], // its API root, as GitHub documents it
    ['github', `${forge.url}/api/v3/`, '/api/v3'],
    ['gitea', forge.url, '/api/v1'], // Gitea's root
    ['gitea', `${forge.url}/api/v1`, '/api/v1'], // its API root, as Gitea documents it
    ['gitea', `${forge.url}/git/`, '/git/api/v1'], // served under a sub-path
    ['gitea', `${forge.url}/git/api/v1/`, '/git/api/v1'],
  ];
  try {
    for (const [name, apiUrl] of forms) {
      const result = await reportStatus({
        pipeline: pipeline({ forge: name, apiUrl, token: { env: 'T' } }),
        build: { id: 'bulletin-board-13', sha: SHA },
        state: 'success',
        publicUrl: 'http://127.0.0.1:8080',
        env: { T: TOKEN },
        log,
      });
      assert.deepEqual(result, { sent: true, status: 201 }, `${name} ${apiUrl}`);
    }
    assert.deepEqual(
      forge.seen.map((s) => s.url),
      forms.map(([, , p]) => `${p}/repos/kiamol/kiamol/statuses/${SHA}`),
    );
    assert.doesNotMatch(lines.join(''), /rejected|not sent/);
  } finally {
    await forge.close();
  }
});

void test('a forge answering 500 is logged, never thrown, and the token stays out of the log', async () => {
  const forge = await fakeForge(500);
  const { log, lines } = capturedLogger();
  try {
    const result = await reportStatus({
      pipeline: pipeline({ forge: 'gitea', apiUrl: forge.url, token: { env: 'GITEA_TOKEN' } }),
      build: { id: 'bulletin-board-9', sha: SHA },
      state: 'failure',
      publicUrl: 'http://127.0.0.1:8080',
      env: { GITEA_TOKEN: TOKEN },
      log,
    });
    assert.deepEqual(result, { sent: false, reason: 'forge answered 500' });
    assert.equal(forge.seen.length, 1);
    assert.match(lines.join(''), /commit status rejected by forge/);
    assert.ok(!lines.join('').includes(TOKEN));
  } finally {
    await forge.close();
  }
});

void test('an unreachable forge does not throw', async () => {
  const forge = await fakeForge(201);
  await forge.close(); // the port is now closed
  const { log, lines } = capturedLogger();
  const result = await reportStatus({
    pipeline: pipeline({ forge: 'github', apiUrl: forge.url, token: { env: 'T' } }),
    build: { id: 'bulletin-board-10', sha: SHA },
    state: 'success',
    publicUrl: 'http://127.0.0.1:8080',
    env: { T: TOKEN },
    log,
    timeoutMs: 2000,
  });
  assert.equal(result.sent, false);
  assert.ok(!lines.join('').includes(TOKEN));
});

void test('Gogs is skipped with a debug log; a missing token is skipped with a warning', async () => {
  const { log, lines } = capturedLogger();
  const gogs = await reportStatus({
    pipeline: pipeline({ forge: 'gogs', token: { env: 'GOGS_TOKEN' } }),
    build: { id: 'bulletin-board-11', sha: SHA },
    state: 'success',
    publicUrl: 'http://127.0.0.1:8080',
    env: { GOGS_TOKEN: TOKEN },
    log,
  });
  assert.deepEqual(gogs, { sent: false, reason: 'gogs has no status api' });
  assert.match(lines.join(''), /"level":20.*gogs has no status api/);
  const missing = await reportStatus({
    pipeline: pipeline({ forge: 'github', apiUrl: 'http://127.0.0.1:9', token: { env: 'NOT_SET_ANYWHERE' } }),
    build: { id: 'bulletin-board-12', sha: SHA },
    state: 'success',
    publicUrl: 'http://127.0.0.1:8080',
    env: {},
    log,
  });
  assert.deepEqual(missing, { sent: false, reason: 'NOT_SET_ANYWHERE is not set' });
});
