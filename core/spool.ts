// The webhook spool: deliveries accepted (verified and planned) while Redis does not answer in time
// are appended to a local file, fsynced before the forge gets its answer, and replayed once Redis
// answers again. A replay runs core/accept-delivery.ts, which claims the delivery: a delivery the
// intake's own late attempt has meanwhile queued is found a duplicate, so each is queued once.
// The file is JSON lines: `{"id","delivery"}` when spooled, `{"done": id}` when replayed; it is
// emptied whenever nothing is pending. A torn last line (a crash mid-write) is skipped.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { PlannedDelivery } from './accept-delivery.ts';
import type { Logger } from './logger.ts';

/** The spool's file name in SLIPWAY_WORKDIR. */
export const SPOOL_FILE = 'webhook-spool.jsonl';

export interface SpoolOptions {
  file: string;
  /** Queues one delivery; throws when it could not (it is tried again later). */
  replay: (delivery: PlannedDelivery) => Promise<void>;
  /** Whether Redis answers now: replays wait for it. */
  ready: () => Promise<boolean>;
  log: Logger;
  /** Pause between attempts while Redis does not answer; default 500 ms. */
  retryMs?: number;
}

export interface Spool {
  readonly file: string;
  /** Appends the delivery and fsyncs it; resolves once it is on disk. */
  add(delivery: PlannedDelivery): Promise<void>;
  /** Deliveries spooled and not yet replayed. */
  pending(): number;
  /** Resolves when nothing is pending (tests). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

type Line = { id: string; delivery: PlannedDelivery } | { done: string };

function readPending(file: string, log: Logger): Map<string, PlannedDelivery> {
  const pending = new Map<string, PlannedDelivery>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return pending;
  }
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    try {
      const line = JSON.parse(raw) as Line;
      if ('done' in line) pending.delete(line.done);
      else pending.set(line.id, line.delivery);
    } catch {
      log.warn({ spool: file }, 'unreadable spool line skipped');
    }
  }
  return pending;
}

export function createSpool(opts: SpoolOptions): Spool {
  const { file, log } = opts;
  const retryMs = opts.retryMs ?? 500;
  const pending = readPending(file, log);
  if (pending.size) log.warn({ spool: file, pending: pending.size }, 'spooled webhook deliveries found: replaying them');
  let handle: Promise<FileHandle> | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const waiters: (() => void)[] = [];

  const fh = (): Promise<FileHandle> => {
    handle ??= (async () => {
      mkdirSync(path.dirname(file), { recursive: true });
      return open(file, 'a');
    })();
    handle.catch(() => (handle = undefined));
    return handle;
  };
  /** File operations one at a time, in order. */
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const next = chain.then(op, op);
    chain = next.catch(() => undefined);
    return next;
  };
  const write = (line: Line, sync: boolean): Promise<void> =>
    serial(async () => {
      const h = await fh();
      await h.write(`${JSON.stringify(line)}\n`);
      if (sync) await h.datasync();
    });
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  async function drain(): Promise<void> {
    while (!closed && pending.size > 0) {
      if (!(await opts.ready().catch(() => false))) {
        await sleep(retryMs);
        continue;
      }
      for (const [id, delivery] of [...pending]) {
        if (closed) return;
        try {
          await opts.replay(delivery);
        } catch (err) {
          log.warn({ spool: file, delivery: delivery.deliveryId, err }, 'spooled delivery not queued yet: retrying');
          await sleep(retryMs);
          break;
        }
        pending.delete(id);
        await write({ done: id }, false).catch((err: unknown) => log.error({ spool: file, err }, 'spool write failed'));
        log.info({ spool: file, delivery: delivery.deliveryId, forge: delivery.forge }, 'spooled delivery queued');
      }
    }
    if (pending.size === 0) {
      await serial(async () => {
        if (pending.size === 0 && handle) await (await fh()).truncate(0);
      }).catch((err: unknown) => log.error({ spool: file, err }, 'spool truncate failed'));
      for (const w of waiters.splice(0)) w();
    }
  }
  const kick = (): void => {
    if (running || closed) return;
    running = drain().finally(() => {
      running = undefined;
      if (pending.size > 0 && !closed) kick();
    });
  };
  kick();

  return {
    file,
    async add(delivery) {
      const id = randomUUID();
      await write({ id, delivery }, true);
      pending.set(id, delivery);
      log.warn({ spool: file, delivery: delivery.deliveryId, forge: delivery.forge }, 'redis did not answer in time: delivery spooled');
      kick();
    },
    pending: () => pending.size,
    drained: () => (pending.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await running;
      await chain;
      if (handle) await (await handle).close();
    },
  };
}
