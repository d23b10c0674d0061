// `slipway run`'s opt-in timeline (SLIPWAY_TIMINGS=1): one stderr line per stage start, per
// command through the exec door (start, end, duration) and per environment-manager call, each
// stamped with the milliseconds since the process started (Node's own start included). For
// finding where a run's time goes (bench/); off by default. Commands are shown masked with the
// build's secrets, as the exec door shows them, and cut to their first words.
import path from 'node:path';
import type { Exec } from '../runner/exec.ts';
import { createMasker } from '../runner/mask.ts';

export interface Timings {
  /** A line at this moment. */
  mark(what: string): void;
  /** The exec door, each command timed. */
  exec(inner: Exec): Exec;
  /** `fn`, timed as `what`. */
  around<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

const WORDS = 6;

export function createTimings(write: (text: string) => void): Timings {
  const stamp = (ms = performance.now()) => `${ms.toFixed(0).padStart(6)} ms`;
  const mark = (what: string) => write(`timing ${stamp()} ${what}\n`);
  const around = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    mark(`start ${what}`);
    try {
      return await fn();
    } finally {
      mark(`end   ${what} (${(performance.now() - start).toFixed(0)} ms)`);
    }
  };
  return {
    mark,
    around,
    exec: (inner) => (argv, options = {}) => {
      const mask = createMasker(options.secrets ?? []);
      const [file = '', ...args] = argv;
      const shown = [path.basename(file), ...args.slice(0, WORDS - 1)].map(mask).join(' ');
      return around(argv.length > WORDS ? `${shown} …` : shown, () => inner(argv, options));
    },
  };
}
