// A build's log as a Redis stream. Entry ids are `0-<line number>` (Redis assigns the sequence),
// so the SSE `id:` is the line number and `Last-Event-ID` resumes with XRANGE/XREAD after it.
// The last entry of a finished build carries `status` instead of `line`.
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import type { BuildStatus } from './records.ts';

export const LOG_MAX_LINES = 100_000;

export interface LogEntry {
  n: number;
  line?: string;
  status?: BuildStatus;
}

function toEntries(raw: [string, string[]][]): LogEntry[] {
  return raw.map(([id, fields]) => {
    const entry: LogEntry = { n: Number(id.split('-')[1]) };
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'line') entry.line = fields[i + 1];
      else if (fields[i] === 'status') entry.status = fields[i + 1] as BuildStatus;
    }
    return entry;
  });
}

export class LogStream {
  constructor(
    readonly redis: Redis,
    readonly keys: Keys,
  ) {}

  async append(buildId: string, lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const key = this.keys.log(buildId);
    const multi = this.redis.multi();
    for (const line of lines) multi.xadd(key, 'MAXLEN', '~', LOG_MAX_LINES, '0-*', 'line', line);
    await multi.exec();
  }

  /** Marks the log finished; followers stop after this entry. */
  async end(buildId: string, status: BuildStatus): Promise<void> {
    await this.redis.xadd(this.keys.log(buildId), 'MAXLEN', '~', LOG_MAX_LINES, '0-*', 'status', status);
  }

  /** Entries after line `after` (0 = from the start). */
  async read(buildId: string, after = 0, count = 10_000): Promise<LogEntry[]> {
    const raw = (await this.redis.xrange(this.keys.log(buildId), `(0-${after}`, '+', 'COUNT', count)) as [string, string[]][];
    return toEntries(raw);
  }

  async text(buildId: string): Promise<string> {
    const lines: string[] = [];
    let after = 0;
    for (;;) {
      const batch = await this.read(buildId, after);
      if (batch.length === 0) break;
      for (const e of batch) if (e.line !== undefined) lines.push(e.line);
      after = batch[batch.length - 1]!.n;
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  /**
   * Calls `onEntry` for every entry after `after`, live, until the status entry or until `signal`
   * aborts. Uses its own blocking connection.
   */
  async follow(buildId: string, after: number, onEntry: (e: LogEntry) => void | Promise<void>, signal: AbortSignal): Promise<BuildStatus | undefined> {
    const blocking = this.redis.duplicate();
    const abort = () => blocking.disconnect();
    signal.addEventListener('abort', abort, { once: true });
    try {
      let last = after;
      while (!signal.aborted) {
        const res = (await blocking.xread('COUNT', 1000, 'BLOCK', 5000, 'STREAMS', this.keys.log(buildId), `0-${last}`)) as
          | [string, [string, string[]][]][]
          | null;
        if (!res) continue;
        for (const entry of toEntries(res[0]![1])) {
          last = entry.n;
          await onEntry(entry);
          if (entry.status) return entry.status;
        }
      }
      return undefined;
    } catch (err) {
      if (signal.aborted) return undefined;
      throw err;
    } finally {
      signal.removeEventListener('abort', abort);
      blocking.disconnect();
    }
  }
}
