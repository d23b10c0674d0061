// Step processes run in process groups of their own (so a cancel can kill a whole tree), which
// also means they outlive a runner that is SIGKILLed. Each runner lists the groups it has
// running in <workdir>/pids/<runner pid>.json; a runner starting on the same machine kills the
// groups of runners that are gone. A group is only killed if its leader is still the process
// that was recorded (same start time), never a recycled pid.
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Exec } from './exec.ts';

interface Entry {
  pid: number;
  start: string;
}

/** The start time of a process (field 22 of /proc/<pid>/stat), or undefined when it is gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface OrphanRegistry {
  /** The exec door, with every child's group listed while it runs. */
  track(exec: Exec): Exec;
}

export async function createOrphanRegistry(workdir: string, pid = process.pid): Promise<OrphanRegistry> {
  const dir = path.join(workdir, 'pids');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${pid}.json`);
  const running = new Map<number, Entry>();
  let writing = Promise.resolve();
  // written whole and renamed into place: a runner SIGKILLed mid-write (the fault test does it)
  // leaves the previous list or the new one, never an empty or cut-off file
  const save = () => {
    const snapshot = JSON.stringify([...running.values()]);
    writing = writing.then(async () => {
      await writeFile(`${file}.tmp`, snapshot);
      await rename(`${file}.tmp`, file);
    }).catch(() => undefined);
  };
  return {
    track: (inner) => (argv, options = {}) =>
      inner(argv, {
        ...options,
        onSpawn: (child) => {
          const start = startTime(child);
          if (start) running.set(child, { pid: child, start });
          save();
          options.onSpawn?.(child);
        },
      }).finally(() => {
        // the group is killed by exec when its leader exits; forget it
        for (const [child] of running) if (!alive(child)) running.delete(child);
        save();
      }),
  };
}

/** A pid file's entries; a file that is not a list of entries (written by an older runner killed mid-write) has none. */
function parseEntries(text: string): Entry[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((e): e is Entry => typeof e === 'object' && e !== null && Number.isInteger((e as Entry).pid) && typeof (e as Entry).start === 'string') : [];
  } catch {
    return [];
  }
}

/** Kills the process groups left behind by runners (on this machine) that are gone. Returns how many. */
export async function reapOrphans(workdir: string): Promise<number> {
  const dir = path.join(workdir, 'pids');
  const files = await readdir(dir).catch(() => [] as string[]);
  let killed = 0;
  for (const f of files) {
    const tmp = f.endsWith('.json.tmp');
    const owner = Number(path.basename(f, tmp ? '.json.tmp' : '.json'));
    if (!Number.isInteger(owner) || owner === process.pid || alive(owner)) continue;
    if (tmp) {
      await rm(path.join(dir, f), { force: true }); // a write its dead owner never renamed into place
      continue;
    }
    const entries = parseEntries(await readFile(path.join(dir, f), 'utf8').catch(() => '[]'));
    for (const e of entries) {
      if (startTime(e.pid) !== e.start) continue; // gone, or the pid now belongs to someone else
      try {
        process.kill(-e.pid, 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
    await rm(path.join(dir, f), { force: true });
  }
  return killed;
}
