// `slipway server` / `slipway runner` as a child process of a test or bench (cli/bin.ts through
// tsx, as users run it from a checkout), through runner/exec.ts: its pid (to signal it), a promise
// of the first output line matching `ready`, and every line to `onLine` (the processes log pino
// JSON on stdout). `ready` rejects when the process exits before printing it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { exec, type ExecResult } from '../../runner/exec.ts';
import { ROOT } from './testenv.ts';

export interface SlipwayProcess {
  done: Promise<ExecResult>;
  ready: Promise<string>;
  pid: () => number | undefined;
}

export function startSlipwayProcess(
  command: 'server' | 'runner',
  opts: { cwd: string; env: Record<string, string>; ready: RegExp; timeoutMs?: number; onLine?: (line: string) => void },
): SlipwayProcess {
  let pid: number | undefined;
  let onReady!: (line: string) => void;
  let readyYet = false;
  const isReady = new Promise<string>((r) => (onReady = r));
  // tsx by its full URL: the processes may run in a folder of their own, outside the checkout
  const done = exec(['node', '--import', import.meta.resolve('tsx'), path.join(ROOT, 'cli/bin.ts'), command], {
    cwd: opts.cwd,
    env: opts.env,
    allowFailure: true,
    timeoutMs: opts.timeoutMs ?? 120_000,
    maxBuffer: 1024 * 1024, // only for the message of an early exit: onLine sees every line
    onSpawn: (p: number) => (pid = p),
    onLine: (line) => {
      opts.onLine?.(line);
      if (!readyYet && opts.ready.test(line)) {
        readyYet = true;
        onReady(line);
      }
    },
  });
  const exitedEarly = done.then((r) => (readyYet ? new Promise<never>(() => undefined) : assert.fail(`${command} exited early: ${r.stderr}${r.stdout}`)));
  return { done, ready: Promise.race([isReady, exitedEarly]), pid: () => pid };
}
