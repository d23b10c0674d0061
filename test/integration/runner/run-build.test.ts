// runBuild without a queue, as `slipway run` uses it: real git and real step processes, the
// record kept in memory. What the stages hand each other (the checkout, the secrets a step
// adds) and what the final record says about every stage.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildId, nowIso } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { BuildRecord } from '../../../core/records.ts';
import { Pipeline } from '../../../pipelines/schema.ts';
import { exec } from '../../../runner/exec.ts';
import { createGit } from '../../../runner/git.ts';
import { runBuild } from '../../../runner/run-build.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/fixture-repo.ts';

async function run(repo: FixtureRepo, pipeline: Record<string, unknown>, record: Partial<BuildRecord> = {}, env: NodeJS.ProcessEnv = {}, repoUrl = repo.url) {
  const workdir = await mkdtemp(path.join(tmpdir(), 'slipway-runbuild-'));
  const p = Pipeline.parse({ apiVersion: 'slipway/v1', kind: 'Pipeline', metadata: { name: 'rb' }, source: { repo: repoUrl, allowLocal: true }, ...pipeline });
  let stored: BuildRecord = {
    id: buildId('rb', 1),
    pipeline: 'rb',
    number: 1,
    status: 'queued',
    trigger: { type: 'manual' },
    repo: repoUrl,
    branch: 'main',
    sha: await repo.head(),
    createdAt: nowIso(),
    stages: [],
    images: [],
    ...record,
  };
  const lines: string[] = [];
  try {
    const result = await runBuild({
      record: stored,
      pipeline: p,
      signal: new AbortController().signal,
      deps: { exec, git: createGit({ workdir }), workdir, log: silentLogger(), env: { PATH: process.env.PATH, ...env }, retryBackoffMs: 50 },
      reporter: {
        update: async (change) => (stored = change(stored)),
        lines: (l) => lines.push(...l),
      },
    });
    return { result, record: stored, log: lines.join('\n'), workdir };
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
}

void test('a secret a test step reads is masked in the log from that step on, in its encoded forms too', async () => {
  const repo = await fixtureRepo({ 'app/README.md': 'hi\n' });
  try {
    const secret = 'step-secret-value-42';
    const { result, record, log } = await run(
      repo,
      {
        test: [
          { name: 'first', run: ['sh', '-c', 'pwd; echo first ran'], workdir: 'app' },
          { name: 'leaky', run: ['sh', '-c', 'echo "plain=$TOKEN"; printf %s "$TOKEN" | base64'], secretEnv: { TOKEN: { env: 'RB_TOKEN' } } },
        ],
      },
      {},
      { RB_TOKEN: secret },
    );
    assert.equal(result.status, 'succeeded', log);
    assert.ok(!log.includes(secret), log);
    assert.ok(!log.includes(Buffer.from(secret).toString('base64')), log);
    assert.match(log, /plain=\*\*\*/);
    // the first step ran in the checkout's workdir
    assert.match(log, new RegExp(`builds/${record.id}/app\\n`));
    assert.deepEqual(
      record.stages.map((s) => [s.name, s.status]),
      [['checkout', 'succeeded'], ['build', 'skipped'], ['test', 'succeeded'], ['deploy', 'skipped'], ['report', 'skipped']],
    );
  } finally {
    await repo.cleanup();
  }
});

void test('a build that fails at checkout ends with no stage pending or running', async () => {
  const repo = await fixtureRepo();
  try {
    const { result, record } = await run(repo, { test: [{ name: 'never', run: ['true'] }] }, { sha: 'f'.repeat(40) });
    assert.equal(result.status, 'failed');
    assert.match(result.reason!, /checkout failed: commit f+ is not in/);
    assert.deepEqual(
      record.stages.map((s) => [s.name, s.status]),
      [['checkout', 'failed'], ['build', 'skipped'], ['test', 'skipped'], ['deploy', 'skipped'], ['report', 'skipped']],
    );
  } finally {
    await repo.cleanup();
  }
});

void test('a branch-only build records the head checkout resolved, and its steps see that commit', async () => {
  const repo = await fixtureRepo();
  try {
    // (the step runs sandboxed with only its worktree: it reads the commit's files, not git's)
    const head = await repo.commit({ 'marker.txt': 'the head commit\n' });
    const { result, record, log } = await run(repo, { test: [{ name: 'rev', run: ['cat', 'marker.txt'] }] }, { sha: '' });
    assert.equal(result.status, 'succeeded', log);
    assert.equal(record.sha, head);
    assert.match(log, new RegExp(`branch main is at ${head}`));
    assert.match(log, /^the head commit$/m);
  } finally {
    await repo.cleanup();
  }
});

void test('steps know their build: number, id, commit, branch and a manual trigger\'s params, which templates see too', async () => {
  const repo = await fixtureRepo();
  try {
    const head = await repo.head();
    const { result, log } = await run(
      repo,
      {
        test: [
          {
            name: 'who',
            run: ['sh', '-c', 'echo "n=$BUILD_NUMBER id=$BUILD_ID c=$GIT_COMMIT b=$GIT_BRANCH t=$target p=${PATH:+set} own=$own"'],
            env: { own: 'mine', target: 'overridden by the step' },
          },
        ],
      },
      { number: 7, id: 'rb-7', params: { target: 'staging', own: 'param', PATH: '/nowhere', 'not a name': 'x' } },
    );
    assert.equal(result.status, 'succeeded', log);
    assert.match(log, new RegExp(`n=7 id=rb-7 c=${head} b=main t=overridden by the step p=set own=mine`));
  } finally {
    await repo.cleanup();
  }
});

/** The repository over git's "dumb" HTTP protocol (static files), answering `failures` requests 503 first. */
async function flakyHttpRepo(repo: FixtureRepo, failures: number): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  const bare = await mkdtemp(path.join(tmpdir(), 'slipway-dumb-'));
  await exec(['git', 'clone', '-q', '--bare', repo.dir, path.join(bare, 'repo.git')]);
  await exec(['git', '-C', path.join(bare, 'repo.git'), 'update-server-info']);
  let seen = 0;
  const server = createServer((req, res) => {
    seen++;
    if (seen <= failures) {
      res.writeHead(503).end('busy');
      return;
    }
    const file = path.join(bare, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/repo.git`,
    requests: () => seen,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(bare, { recursive: true, force: true });
    },
  };
}

void test('a fetch the forge answers 503 is tried again and the build goes on; a missing repository is not tried again', async () => {
  const repo = await fixtureRepo();
  const flaky = await flakyHttpRepo(repo, 1);
  try {
    const { result, log } = await run(repo, { test: [{ name: 'ok', run: ['true'] }] }, {}, {}, flaky.url);
    assert.equal(result.status, 'succeeded', log);
    assert.match(log, /fetch failed \(attempt 1 of 3\), retrying: .*exited with code 128/);

    const before = flaky.requests();
    const missing = await run(repo, { test: [{ name: 'ok', run: ['true'] }] }, {}, {}, flaky.url.replace('repo.git', 'nothing.git'));
    assert.equal(missing.result.status, 'failed');
    assert.doesNotMatch(missing.log, /retrying/);
    assert.ok(flaky.requests() - before <= 2, 'one fetch, not three');
  } finally {
    await flaky.close();
    await repo.cleanup();
  }
});
