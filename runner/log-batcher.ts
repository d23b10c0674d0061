// Build-log lines reach Redis in batches (every `intervalMs` or `maxLines`), in order, so a
// chatty build costs a few round trips a second rather than one per line.
import type { Logger } from '../core/logger.ts';

export interface LogBatcher {
  push(lines: string[]): void;
  /** Writes everything pushed so far. */
  flush(): Promise<void>;
}

export function createLogBatcher(write: (lines: string[]) => Promise<void>, log: Logger, intervalMs = 100, maxLines = 500): LogBatcher {
  let pending: string[] = [];
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const drain = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length) {
      chain = chain.then(() => write(batch)).catch((err: unknown) => {
        log.warn({ err, lines: batch.length }, 'build log lines lost');
      });
    }
    return chain;
  };

  return {
    push(lines) {
      pending.push(...lines);
      if (pending.length >= maxLines) void drain();
      else if (!timer) timer = setTimeout(() => void drain(), intervalMs);
    },
    flush: drain,
  };
}
