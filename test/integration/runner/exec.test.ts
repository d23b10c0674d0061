// exec against real processes: masking, timeout, process-group kill, errors with their tail.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, ChildProcessError } from '../../../core/errors.ts';
import { exec, recordingExec } from '../../../runner/exec.ts';
import { alive, gone } from '../../helpers/processes.ts';

void test('streams lines, returns stdout and stderr, passes input and env', async () => {
  const lines: string[] = [];
  const res = await exec(['sh', '-c', 'cat; echo "v=$FOO" >&2'], {
    input: 'one\ntwo\n',
    env: { FOO: 'bar' },
    onLine: (l, s) => lines.push(`${s}:${l}`),
  });
  assert.equal(res.exitCode, 0);
  assert.equal(res.stdout, 'one\ntwo\n');
  assert.equal(res.stderr, 'v=bar\n');
  assert.deepEqual(lines.sort(), ['stderr:v=bar', 'stdout:one', 'stdout:two']);
});

void test('masks secrets in lines, results and errors, also when printed in pieces', async () => {
  const secret = 'hunter2-Top/Secret+';
  const b64 = Buffer.from(secret).toString('base64');
  const url = encodeURIComponent(secret);
  const lines: string[] = [];
  // printf in pieces with pauses so the secret arrives in separate chunks
  const script = `printf 'a=hunter2-'; sleep 0.1; printf 'Top/Secret+\\n'; echo "b=${b64}"; echo "u=${url}" >&2; exit 3`;
  const err = await exec(['sh', '-c', script, secret], { secrets: [secret], onLine: (l) => lines.push(l) }).catch((e: unknown) => e);
  assert.ok(err instanceof ChildProcessError);
  const all = [...lines, err.message, ...err.command].join('\n');
  for (const form of [secret, b64, url]) assert.ok(!all.includes(form), `leaked ${form}`);
  assert.deepEqual(lines.sort(), ['a=***', 'b=***', 'u=***']);
  assert.equal(err.exitCode, 3);
  assert.equal(err.command[3], '***');
});

void test('a failing command throws ChildProcessError with its last lines; allowFailure resolves', async () => {
  const err = await exec(['sh', '-c', 'for i in $(seq 1 50); do echo line$i; done; exit 7']).catch((e: unknown) => e);
  assert.ok(err instanceof ChildProcessError);
  assert.equal(err.exitCode, 7);
  assert.equal(err.tail.length, 20);
  assert.equal(err.tail.at(-1), 'line50');
  assert.match(err.message, /exited with code 7/);
  const res = await exec(['sh', '-c', 'echo no; exit 4'], { allowFailure: true });
  assert.equal(res.exitCode, 4);
});

void test('a missing program is a ChildProcessError, not a crash', async () => {
  const err = await exec(['/nonexistent/program-xyz']).catch((e: unknown) => e);
  assert.ok(err instanceof ChildProcessError);
  assert.match(err.message, /ENOENT/);
});

void test('timeout kills the process and says so', async () => {
  const err = await exec(['sleep', '30'], { timeoutMs: 200 }).catch((e: unknown) => e);
  assert.ok(err instanceof ChildProcessError);
  assert.equal(err.timedOut, true);
  assert.match(err.message, /timed out/);
});

void test('abort kills the whole process group: the child and its grandchild are gone', async () => {
  const ac = new AbortController();
  let grandchild = 0;
  let child = 0;
  const run = exec(['sh', '-c', 'echo "$$"; sleep 300 & echo "$!"; wait'], {
    signal: ac.signal,
    onLine: (l) => {
      if (!child) child = Number(l);
      else {
        grandchild = Number(l);
        ac.abort();
      }
    },
  });
  const err = await run.catch((e: unknown) => e);
  assert.ok(err instanceof CancelledError);
  assert.ok(child > 0 && grandchild > 0);
  assert.ok(await gone(child), 'the child is still running');
  assert.ok(await gone(grandchild), 'the grandchild sleep is still running');
});

// A child left in the background with its output let go of, as a daemon does; it prints its pid.
const leaveBackground = ['sh', '-c', 'sleep 300 </dev/null >/dev/null 2>&1 & echo "$!"'];

void test('what a command leaves running in its group dies with it', async () => {
  const { stdout } = await exec(leaveBackground);
  assert.ok(await gone(Number(stdout)), 'the background sleep outlived its command');
});

void test('startsDaemon: what the command leaves running stays, and abort still reaches it', async () => {
  const { stdout } = await exec(leaveBackground, { startsDaemon: true });
  const daemon = Number(stdout);
  try {
    await sleep(300);
    assert.equal(alive(daemon), true, 'the daemon was killed with its command');
  } finally {
    if (alive(daemon)) process.kill(daemon, 'SIGKILL');
  }
  const ac = new AbortController();
  let pid = 0;
  const run = exec(['sh', '-c', 'sleep 300 </dev/null >/dev/null 2>&1 & echo "$!"; wait'], {
    startsDaemon: true,
    signal: ac.signal,
    onLine: (l) => {
      pid = Number(l);
      ac.abort();
    },
  });
  await assert.rejects(run, CancelledError);
  assert.ok(await gone(pid), 'abort left the background sleep running');
});

void test('an already-aborted signal never starts the command', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(exec(['true'], { signal: ac.signal }), CancelledError);
});

void test('recordingExec records the exact argv', async () => {
  const rec = recordingExec(exec);
  await rec.exec(['echo', '--flag', 'value with spaces']);
  assert.deepEqual(rec.calls.map((c) => c.argv), [['echo', '--flag', 'value with spaces']]);
});
