// The orphan registry: process groups of a dead runner are killed by the next runner on the
// machine, but never a pid that now belongs to another process.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exec } from '../../../runner/exec.ts';
import { createOrphanRegistry, reapOrphans } from '../../../runner/orphans.ts';

void test('a running child is listed while it runs and forgotten after', async () => {
  const workdir = await mkdtemp(path.join(tmpdir(), 'slipway-orphans-'));
  const file = path.join(workdir, 'pids', '9999991.json');
  const gate = path.join(workdir, 'gate');
  try {
    const registry = await createOrphanRegistry(workdir, 9_999_991);
    let child = 0;
    let listed: { pid: number }[] = [];
    await registry.track(exec)(['sh', '-c', `echo up; while [ ! -e ${gate} ]; do sleep 0.05; done`], {
      onSpawn: (pid) => (child = pid),
      onLine: () => {
        void (async () => {
          while (!listed.some((e) => e.pid === child)) {
            listed = JSON.parse(await readFile(file, 'utf8').catch(() => '[]')) as { pid: number }[];
            await sleep(20);
          }
          await writeFile(gate, '');
        })();
      },
    });
    assert.ok(child > 0 && listed.some((e) => e.pid === child));
    for (let i = 0; i < 100 && (await readFile(file, 'utf8')) !== '[]'; i++) await sleep(20);
    assert.equal(await readFile(file, 'utf8'), '[]');
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
});

void test('a recycled pid (different start time) is never killed; a dead owner\'s file is removed', async () => {
  const workdir = await mkdtemp(path.join(tmpdir(), 'slipway-orphans-'));
  try {
    await mkdir(path.join(workdir, 'pids'));
    // owner 2^22+7 is not a live pid; its entry names our own pid with a start time that is not ours
    await writeFile(path.join(workdir, 'pids', '4194311.json'), JSON.stringify([{ pid: process.pid, start: '1' }]));
    assert.equal(await reapOrphans(workdir), 0);
    assert.deepEqual(await readdir(path.join(workdir, 'pids')), []);
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
});

void test("a dead owner's file cut short by a SIGKILL mid-write does not stop the next runner's start; the other files are still reaped", async () => {
  const workdir = await mkdtemp(path.join(tmpdir(), 'slipway-orphans-'));
  let child = 0;
  // settled as it ends (the reap kills it while the test awaits other things)
  const running = exec(['sleep', '30'], { onSpawn: (pid) => (child = pid), allowFailure: true }).then(
    () => 'exited',
    (err: unknown) => `killed by ${(err as { signal?: string }).signal}`,
  );
  try {
    const pids = path.join(workdir, 'pids');
    await mkdir(pids);
    for (let i = 0; i < 100 && child === 0; i++) await sleep(10);
    const stat = await readFile(`/proc/${child}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    // owners 2^22+7.. are not live pids: an empty file, a cut-off one, a write never renamed, a whole one
    await writeFile(path.join(pids, '4194311.json'), '');
    await writeFile(path.join(pids, '4194313.json'), '[{"pid":');
    await writeFile(path.join(pids, '4194317.json.tmp'), '[]');
    await writeFile(path.join(pids, '4194319.json'), JSON.stringify([{ pid: child, start }]));
    assert.equal(await reapOrphans(workdir), 1);
    assert.deepEqual(await readdir(pids), []);
    // the child, listed in the whole file, was killed: the bad files did not stop the reaping
    assert.equal(await running, 'killed by SIGKILL');
  } finally {
    if (child) {
      try {
        process.kill(-child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await running;
    await rm(workdir, { recursive: true, force: true });
  }
});
