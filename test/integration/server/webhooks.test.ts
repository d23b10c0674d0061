// Webhook intake against a real Redis and real HTTP: signed payloads from GitHub's published
// examples and Gogs/Gitea payloads of their documented shape.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import examples from '@octokit/webhooks-examples/api.github.com/index.json' with { type: 'json' };
import { isFinal, type BuildRecord } from '../../../core/records.ts';
import { silentLogger } from '../../../core/logger.ts';
import { parsePipelines } from '../../../pipelines/load.ts';
import { startRunner, type Runner } from '../../../runner/start.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/fixture-repo.ts';
import { useTestenvProcessEnv } from '../runner/harness.ts';
import { eventually, fixture, pipelineYaml, postHook, startHarness, type Harness } from './harness.ts';

type Json = Record<string, unknown>;
const pushExamples = (examples as { name: string; examples: Json[] }[]).find((e) => e.name === 'push')!.examples;
const githubBranchPush = (): Json => structuredClone(pushExamples.find((e) => e.ref === 'refs/heads/master' && e.deleted === false)!);
const githubTagPush = (): Json => structuredClone(pushExamples.find((e) => String(e.ref).startsWith('refs/tags/') && e.deleted === false)!);

const GOGS_REPO = 'http://127.0.0.1:3000/kiamol/kiamol.git';
const GITEA_REPO = 'http://127.0.0.1:3001/team/app';

void describe('webhook intake', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([
      // credentials and case in the configured URL must not stop the match
      pipelineYaml('hello', 'https://bot:pw@GitHub.com/Codertocat/Hello-World', 'on:\n  push:\n    branches: ["**"]\n    ignoreBranches: ["wip/**"]\n    tags: ["simple-*"]'),
      pipelineYaml('bulletin-board', GOGS_REPO, 'on:\n  push:\n    paths: ["ch11/bulletin-board/**"]'),
      pipelineYaml('app', GITEA_REPO),
    ]);
  });
  after(async () => h.close());

  const waitingJobs = async () => (await h.queues.builds.getJobs(['waiting', 'prioritized', 'delayed'])).map((j) => j.id);

  void test('a GitHub push queues one build with the right pipeline, sha, branch and number', async () => {
    const payload = githubBranchPush();
    const delivery = randomUUID();
    const res = await postHook(h.url, 'github', payload, { delivery });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const [b] = res.body.builds as { id: string; number: number; pipeline: string; url: string }[];
    assert.deepEqual(b, { id: 'hello-1', number: 1, pipeline: 'hello', url: 'http://slipway.test/api/builds/hello-1' });
    const record = await h.builds.require('hello-1');
    assert.equal(record.status, 'queued');
    assert.equal(record.sha, payload.after);
    assert.equal(record.branch, 'master');
    assert.deepEqual(record.trigger, { type: 'push', deliveryId: delivery, forge: 'github', by: 'Codertocat' });
    assert.ok((await waitingJobs()).includes('hello-1'));
    // the pipeline's repo URL carries credentials: the API never shows them
    const shown = JSON.stringify(await (await fetch(`${h.url}/api/builds/hello-1`)).json());
    assert.doesNotMatch(shown, /pw|bot:/);
    assert.match(shown, /"repo":"https:\/\/github\.com\/Codertocat\/Hello-World"/i);
  });

  void test('a Gogs push touching the configured paths queues a build; the file list decides', async () => {
    const res = await postHook(h.url, 'gogs', fixture('gogs-push.json'));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = (res.body.builds as { id: string }[])[0]!.id;
    const record = await h.builds.require(id);
    assert.equal(record.pipeline, 'bulletin-board');
    assert.equal(record.branch, 'feature/login');
    assert.equal(record.sha, 'bffeb74224043ba2feb48d137756c8a9331c449a');
    assert.equal(record.pathsUndecided, undefined);
  });

  void test('a Gitea push queues a build', async () => {
    const res = await postHook(h.url, 'gitea', fixture('gitea-push.json'));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const record = await h.builds.require((res.body.builds as { id: string }[])[0]!.id);
    assert.deepEqual([record.pipeline, record.branch, record.sha], ['app', 'main', 'a5d7c7a2f6e04b4b8c5c2c3e0d6a1f9f2b3c4d5e']);
  });

  void test('a wrong secret or a missing signature is 401 and queues nothing', async () => {
    const before = (await h.allBuilds('app')).length;
    const wrong = await postHook(h.url, 'gitea', fixture('gitea-push.json'), { secret: 'not-the-secret' });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, { error: { type: 'signature', message: 'the signature does not match' } });
    const missing = await postHook(h.url, 'gitea', fixture('gitea-push.json'), { secret: null });
    assert.equal(missing.status, 401);
    assert.equal((missing.body.error as Json).message, 'the signature header is missing');
    const github = await postHook(h.url, 'github', githubBranchPush(), { secret: 'nope' });
    assert.equal(github.status, 401);
    assert.equal((await h.allBuilds('app')).length, before);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    assert.match(metrics, /slipway_webhooks_rejected_total\{forge="gitea",reason="signature"\} 2/);
  });

  void test('the same delivery sent 10 times makes one build', async () => {
    const before = (await h.allBuilds('app')).length;
    const delivery = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => postHook(h.url, 'gitea', fixture('gitea-push.json'), { delivery })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    assert.equal(answers.filter((a) => a.body.ignored === 'duplicate delivery').length, 9);
    assert.equal((await h.allBuilds('app')).length, before + 1);
  });

  void test('a filtered branch or path is answered 200 ignored', async () => {
    const wip = githubBranchPush();
    wip.ref = 'refs/heads/wip/try';
    const branch = await postHook(h.url, 'github', wip);
    assert.deepEqual([branch.status, branch.body], [200, { ignored: 'branch matches on.push.ignoreBranches' }]);
    const docs = fixture('gogs-push.json');
    (docs.commits as Json[])[0]!.modified = ['README.md'];
    const paths = await postHook(h.url, 'gogs', docs);
    assert.deepEqual([paths.status, paths.body], [200, { ignored: 'no changed file matches on.push.paths' }]);
  });

  void test('tag pushes build as configured', async () => {
    const tag = await postHook(h.url, 'github', githubTagPush());
    assert.equal(tag.status, 202, JSON.stringify(tag.body));
    const record = await h.builds.require((tag.body.builds as { id: string }[])[0]!.id);
    assert.equal(record.tag, 'simple-tag');
    assert.equal(record.branch, undefined);
    const other = githubTagPush();
    other.ref = 'refs/tags/v1.0.0';
    const ignored = await postHook(h.url, 'github', other);
    assert.deepEqual([ignored.status, ignored.body], [200, { ignored: 'tag does not match on.push.tags' }]);
    const gogsTag = fixture('gogs-push.json');
    gogsTag.ref = 'refs/tags/v2';
    const notConfigured = await postHook(h.url, 'gogs', gogsTag);
    assert.deepEqual(notConfigured.body, { ignored: 'tag pushes are not configured (on.push.tags)' });
  });

  void test('a deleted branch queues the teardown of its environment and no build', async () => {
    const builds = (await h.allBuilds('bulletin-board')).length + (await h.allBuilds('hello')).length + (await h.allBuilds('app')).length;
    const gogs = await postHook(h.url, 'gogs', fixture('gogs-delete.json'), { event: 'delete' });
    assert.equal(gogs.status, 202, JSON.stringify(gogs.body));
    assert.deepEqual(gogs.body, { builds: [], teardowns: [{ pipeline: 'bulletin-board', branch: 'feature/login' }] });
    const gitea = await postHook(h.url, 'gitea', fixture('gitea-delete.json'), { event: 'delete' });
    assert.deepEqual(gitea.body, { builds: [], teardowns: [{ pipeline: 'app', branch: 'feature/health' }] });
    const gone = githubBranchPush();
    Object.assign(gone, { ref: 'refs/heads/gone', deleted: true, created: false, after: '0'.repeat(40), commits: [], head_commit: null });
    const github = await postHook(h.url, 'github', gone);
    assert.deepEqual(github.body, { builds: [], teardowns: [{ pipeline: 'hello', branch: 'gone' }] });
    const jobs = await h.queues.teardown.getJobs(['waiting', 'delayed', 'prioritized']);
    assert.deepEqual(jobs.map((j) => `${j.data.pipeline}/${j.data.branch}`).sort(), ['app/feature/health', 'bulletin-board/feature/login', 'hello/gone']);
    const after = (await h.allBuilds('bulletin-board')).length + (await h.allBuilds('hello')).length + (await h.allBuilds('app')).length;
    assert.equal(after, builds);
  });

  void test("Gitea's Test Delivery (before and after all zeros on refs/heads/main) is ignored and tears nothing down", async () => {
    const builds = (await h.allBuilds('app')).length;
    const teardowns = (await h.queues.teardown.getJobs(['waiting', 'delayed', 'prioritized'])).length;
    // What Gitea's "Test Delivery" button sends: a push of the default branch with no commits.
    const payload = fixture('gitea-push.json');
    Object.assign(payload, { ref: 'refs/heads/main', before: '0'.repeat(40), after: '0'.repeat(40), commits: [], total_commits: 0, head_commit: null });
    const res = await postHook(h.url, 'gitea', payload);
    assert.deepEqual([res.status, res.body], [200, { ignored: 'test delivery' }]);
    assert.equal((await h.queues.teardown.getJobs(['waiting', 'delayed', 'prioritized'])).length, teardowns);
    assert.equal((await h.allBuilds('app')).length, builds);
    // A real deletion pushed (before a commit, after zero) still tears down.
    const deleted = await postHook(h.url, 'gitea', { ...payload, ref: 'refs/heads/old', before: 'a'.repeat(40) });
    assert.deepEqual(deleted.body, { builds: [], teardowns: [{ pipeline: 'app', branch: 'old' }] });
  });

  void test('malformed JSON is 400, an oversize body 413, an unknown repository 404, a ping 200', async () => {
    const bad = await postHook(h.url, 'github', null, { body: '{"ref": "refs/heads/main", ' });
    assert.deepEqual([bad.status, bad.body], [400, { error: { type: 'webhook', message: 'the body is not valid JSON' } }]);
    const shape = await postHook(h.url, 'gitea', { ref: 'refs/heads/x', repository: { clone_url: GITEA_REPO }, before: 1 });
    assert.equal(shape.status, 400);
    const huge = await postHook(h.url, 'github', null, { body: `{"pad":"${'x'.repeat(6 * 1024 * 1024)}"}` });
    assert.equal(huge.status, 413);
    assert.equal((huge.body.error as Json).type, 'payload-too-large');
    const unknown = githubBranchPush();
    (unknown.repository as Json).clone_url = 'https://github.com/someone/else.git';
    (unknown.repository as Json).html_url = 'https://github.com/someone/else';
    (unknown.repository as Json).ssh_url = 'git@github.com:someone/else.git';
    (unknown.repository as Json).git_url = 'git://github.com/someone/else.git';
    (unknown.repository as Json).url = 'https://github.com/someone/else';
    const notFound = await postHook(h.url, 'github', unknown);
    assert.equal(notFound.status, 404);
    const ping = await postHook(h.url, 'github', { zen: 'Design for failure.', hook_id: 1 }, { event: 'ping' });
    assert.deepEqual([ping.status, ping.body], [200, { ignored: 'ping' }]);
  });

  void test('Unicode and 250-character branch names are accepted as data and listed', async () => {
    for (const name of ['feature/ünïcødé-🚀', 'b'.repeat(250)]) {
      const payload = githubBranchPush();
      payload.ref = `refs/heads/${name}`;
      const res = await postHook(h.url, 'github', payload);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const record = await h.builds.require((res.body.builds as { id: string }[])[0]!.id);
      assert.equal(record.branch, name);
      const listed = await (await fetch(`${h.url}/api/pipelines/hello/builds?branch=${encodeURIComponent(name)}`)).json();
      assert.equal((listed as { builds: { id: string }[] }).builds[0]!.id, record.id);
    }
  });
});

// Hostile branch names go all the way: pushed to a real repository, delivered by webhook, built by a
// real runner whose test step sees the branch. Shell interpretation anywhere (git, the runner, the
// step's environment) would create the marker file; the builds run and the marker never appears.
void describe('hostile branch names, built by a runner', () => {
  let h: Harness;
  let repo: FixtureRepo;
  let runner: Runner;
  let workdir: string;
  const marker = `/tmp/slipway-hostile-${randomBytes(4).toString('hex')}`;
  // each accepted by git check-ref-format (no spaces, hence ${IFS})
  const names = [`$(touch\${IFS}${marker})`, `x;touch\${IFS}${marker}`, `\`touch\${IFS}${marker}\``, `q'"&&touch\${IFS}${marker}|>x`];
  const failing = names[1]!;
  before(async () => {
    useTestenvProcessEnv();
    repo = await fixtureRepo();
    const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata:
  name: hostile
source:
  repo: ${repo.url}
  allowLocal: true
  secret: { env: HOOK_SECRET }
on:
  push:
    branches: ["**"]
test:
  - name: unit
    run: ${JSON.stringify(['sh', '-c', 'printf "branch=%s\\n" "$GIT_BRANCH"; test ! -f fail'])}
`;
    h = await startHarness([yaml]);
    workdir = await mkdtemp(path.join(tmpdir(), 'slipway-hostile-'));
    const pipeline = parsePipelines(yaml, 'hostile.yaml').pipelines[0]?.pipeline;
    runner = await startRunner({
      redis: h.redis,
      keys: h.keys,
      bullPrefix: h.bullPrefix,
      pipelines: (n) => (n === 'hostile' ? pipeline : undefined),
      config: { workdir, concurrency: 2, publicUrl: 'http://127.0.0.1:1', apiToken: undefined },
      log: silentLogger(),
    });
  });
  after(async () => {
    await runner?.close(1000).catch(() => undefined);
    await h?.close();
    await repo?.cleanup();
    await rm(workdir, { recursive: true, force: true });
    await rm(marker, { force: true });
  });

  void test('hostile branch names are accepted as data, built, and nothing is executed', async () => {
    const pushed: { name: string; id: string }[] = [];
    for (const name of names) {
      await repo.branch('main');
      await repo.branch(name);
      const sha = await repo.commit(name === failing ? { fail: 'this branch fails its test\n' } : { [`${pushed.length}.txt`]: 'ok\n' }, 'hostile');
      const payload = githubBranchPush();
      payload.ref = `refs/heads/${name}`;
      payload.after = sha;
      payload.repository = { ...(payload.repository as Json), clone_url: repo.url, html_url: repo.url, git_url: repo.url, ssh_url: repo.url, url: repo.url };
      const res = await postHook(h.url, 'github', payload);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const record = await h.builds.require((res.body.builds as { id: string }[])[0]!.id);
      assert.equal(record.branch, name);
      assert.equal(record.sha, sha);
      const listed = await (await fetch(`${h.url}/api/pipelines/hostile/builds?branch=${encodeURIComponent(name)}`)).json();
      assert.equal((listed as { builds: { id: string }[] }).builds[0]!.id, record.id);
      pushed.push({ name, id: record.id });
    }
    for (const { name, id } of pushed) {
      let done: BuildRecord | undefined;
      await eventually(async () => {
        done = await h.builds.require(id);
        return isFinal(done.status);
      }, `build ${id} final`, 120_000);
      const log = await h.logs.text(id);
      assert.equal(done!.status, name === failing ? 'failed' : 'succeeded', log);
      assert.deepEqual(done!.stages.find((s) => s.name === 'test')?.status, name === failing ? 'failed' : 'succeeded', log);
      // the step ran on that branch's checkout and saw the name as plain data
      assert.ok(log.split('\n').some((l) => l.endsWith(`branch=${name}`)), log);
    }
    assert.equal(existsSync(marker), false, `${marker} was created: a branch name went through a shell`);
  });
});

void describe('webhook intake when the build queue refuses the job', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([pipelineYaml('hello', 'https://github.com/Codertocat/Hello-World')]);
  });
  after(async () => h.close());

  void test('the push is answered 500, nothing is recorded, and the redelivery builds it', async () => {
    const meta = h.queues.builds.keys.meta!;
    await h.redis.del(meta);
    await h.redis.set(meta, 'not a hash'); // BullMQ's part of the script fails: WRONGTYPE
    const delivery = randomUUID();
    const refused = await postHook(h.url, 'github', githubBranchPush(), { delivery });
    assert.equal(refused.status, 500);
    assert.deepEqual(refused.body, { error: { type: 'internal', message: 'internal error' } });
    assert.deepEqual(await h.allBuilds('hello'), []);
    assert.deepEqual(await h.queues.builds.getWaiting(), []);

    await h.redis.del(meta);
    const redelivered = await postHook(h.url, 'github', githubBranchPush(), { delivery });
    assert.equal(redelivered.status, 202, JSON.stringify(redelivered.body));
    const [b] = redelivered.body.builds as { id: string }[];
    assert.deepEqual((await h.allBuilds('hello')).map((r) => [r.id, r.status]), [[b!.id, 'queued']]);
    assert.deepEqual((await h.queues.builds.getWaiting()).map((j) => j.id), [b!.id]);
  });
});
