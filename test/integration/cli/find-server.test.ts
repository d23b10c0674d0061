// Client commands find the server `slipway up` started through the up.json in its data folder (no
// --server, no SLIPWAY_PUBLIC_URL), and an unreachable server is reported within 2 seconds with its
// URL and what to do. Real processes: `slipway up` and the client commands, as a user runs them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { main } from '../../../cli/main.ts';
import { freePort } from '../../../cli/up/free-port.ts';
import { exec, type ExecResult } from '../../../runner/exec.ts';
import { ROOT, testenv, testRedis, uniqueName } from '../../helpers/testenv.ts';

const t = await testRedis();
const dir = await mkdtemp(path.join(tmpdir(), 'slipway-find-server-'));
after(async () => {
  await t.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** What a user's shell would not have set: the client must find the server by itself. */
const CLEAN = { SLIPWAY_PUBLIC_URL: undefined, SLIPWAY_PORT: undefined, SLIPWAY_HOST: undefined, SLIPWAY_API_TOKEN: undefined, SLIPWAY_DATA_DIR: undefined };

function slipway(args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<ExecResult> {
  return exec(['node', '--import', import.meta.resolve('tsx'), path.join(ROOT, 'cli/bin.ts'), ...args], {
    cwd,
    env: { ...CLEAN, ...env },
    allowFailure: true,
    timeoutMs: 60_000,
  });
}

void test('client commands find `slipway up` through up.json; up.json goes when up stops', async () => {
  const name = uniqueName('found');
  await mkdir(path.join(dir, 'pipelines'));
  await writeFile(path.join(dir, 'pipelines', `${name}.yaml`), `apiVersion: slipway/v1\nkind: Pipeline\nmetadata: { name: ${name} }\nsource: { repo: "http://127.0.0.1:1/x.git" }\n`);
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const output: string[] = [];
  let pid: number | undefined;
  const up = exec(['node', '--import', import.meta.resolve('tsx'), path.join(ROOT, 'cli/bin.ts'), 'up', '--no-demo'], {
    cwd: dir,
    env: { ...CLEAN, SLIPWAY_REDIS_URL: testenv().redisUrl, SLIPWAY_KEY_PREFIX: t.prefix, SLIPWAY_PORT: '0', SLIPWAY_LOG_LEVEL: 'warn', KUBECONFIG: testenv().kubeconfig },
    allowFailure: true,
    timeoutMs: 120_000,
    onSpawn: (p) => (pid = p),
    onLine: (line) => {
      output.push(line);
      if (line.startsWith('Slipway is up.')) ready();
    },
  });
  try {
    await Promise.race([isReady, up.then((r) => assert.fail(`up exited (${r.exitCode}):\n${output.join('\n')}`))]);
    const upJson = path.join(dir, '.slipway', 'up.json');
    const { url } = JSON.parse(await readFile(upJson, 'utf8')) as { url: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(url, 'http://127.0.0.1:8080', 'up took a free port, not the default one');

    // from the same folder, nothing set: up.json names the server, .slipway/token the token
    const listed = await slipway(['builds'], dir);
    assert.equal(listed.exitCode, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${name}\\s+-\\s+-`, 'm'));
    const triggered = await fetch(`${url}/api/pipelines/${name}/builds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${(await readFile(path.join(dir, '.slipway', 'token'), 'utf8')).trim()}` },
      body: JSON.stringify({ branch: 'main', sha: 'abcdef1234567' }),
    });
    const { id } = (await triggered.json()) as { id: string };
    // up's runner takes it and fails it (the repository does not exist): logs -f follows to the end
    const followed = await slipway(['logs', id, '-f'], dir);
    assert.equal(followed.exitCode, 1, followed.stderr);
    assert.match(followed.stderr, new RegExp(`build ${id} failed`));

    // elsewhere, SLIPWAY_DATA_DIR points at it
    const elsewhere = await slipway(['builds', name, '-o', 'json'], tmpdir(), { SLIPWAY_DATA_DIR: path.join(dir, '.slipway') });
    assert.equal(elsewhere.exitCode, 0, elsewhere.stderr);
    assert.deepEqual((JSON.parse(elsewhere.stdout) as { id: string; status: string }[]).map((b) => [b.id, b.status]), [[id, 'failed']]);

    process.kill(pid!, 'SIGINT');
    assert.equal((await up).exitCode, 0);
    assert.equal(existsSync(upJson), false, 'a stopped up leaves no up.json behind');
  } finally {
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // stopped already
      }
    }
    await up;
  }
});

void test('an unreachable server is reported within 2 s with its URL and what to do, exit 1', async () => {
  // what a crashed `up` leaves: up.json naming a port nothing listens on
  const data = path.join(dir, 'crashed');
  await mkdir(data, { recursive: true });
  const url = `http://127.0.0.1:${await freePort()}`;
  await writeFile(path.join(data, 'up.json'), JSON.stringify({ url, pid: 999_999 }));
  for (const args of [['builds'], ['logs', 'x-1', '-f'], ['env', 'ls']]) {
    const started = Date.now();
    const res = await slipway(args, dir, { SLIPWAY_DATA_DIR: data });
    assert.equal(res.exitCode, 1, res.stderr);
    assert.match(res.stderr, new RegExp(`cannot reach the Slipway server at ${url.replace(/\./g, '\\.')} \\(ECONNREFUSED, from ${data.replace(/[.]/g, '\\.')}/up\\.json\\): is slipway up running\\? use --server`));
    // the whole process, tsx's start-up included; the wait itself is timed in-process below
    assert.ok(Date.now() - started < 15_000, `${args.join(' ')} took ${Date.now() - started} ms`);
  }
  // a port that accepts connections but never answers is given up on after 2 s, not fetch's minutes
  const held: Socket[] = [];
  const silent = createNetServer((socket) => void held.push(socket));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const port = (silent.address() as AddressInfo).port;
  try {
    let err = '';
    const started = Date.now();
    const code = await main(['logs', 'x-1', '-f', '--server', `http://127.0.0.1:${port}`], { stdout: () => undefined, stderr: (s) => void (err += s), env: { SLIPWAY_DATA_DIR: data }, cwd: dir });
    const took = Date.now() - started;
    assert.equal(code, 1);
    assert.equal(err, `slipway logs: cannot reach the Slipway server at http://127.0.0.1:${port} (no answer in 2 s): is slipway up running? use --server URL\n`);
    assert.ok(took >= 1900 && took < 3000, `reported after ${took} ms`);
  } finally {
    for (const s of held) s.destroy();
    silent.close();
  }
});
