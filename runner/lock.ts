// The per-namespace deploy lock: deploys and teardowns of one namespace run one at a time,
// across runner processes. SET NX PX with a random token, renewed while held, released with
// compare-and-delete so a holder whose lock expired never deletes someone else's.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CancelledError, UnavailableError } from '../core/errors.ts';
import type { Keys } from '../core/keys.ts';

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

export interface LockOptions {
  /** Give up waiting (UnavailableError) after this long. Default 30 minutes. */
  waitMs?: number;
  /** Stop waiting (CancelledError) when aborted. Once held, the lock is kept until fn settles. */
  signal?: AbortSignal;
  /** Lock expiry; renewed every third of it while held. Default 30 s. */
  ttlMs?: number;
  /** How often to try while waiting. Default 250 ms. */
  pollMs?: number;
  /** Called once while waiting, e.g. to log "waiting for the deploy lock". */
  onWait?: () => void;
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `fn` holding the deploy lock of `namespace`. `fn` gets a signal that aborts if the lock
 * is lost (Redis unreachable past the expiry, or the key deleted by hand).
 */
export async function withNamespaceLock<T>(
  redis: Redis,
  keys: Keys,
  namespace: string,
  fn: (lost: AbortSignal) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const key = keys.envLock(namespace);
  const token = randomBytes(16).toString('hex');
  const ttl = options.ttlMs ?? 30_000;
  const deadline = Date.now() + (options.waitMs ?? 30 * 60_000);
  let warned = false;
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError(`cancelled while waiting for the deploy lock of ${namespace}`);
    const ok = await redis.set(key, token, 'PX', ttl, 'NX');
    if (ok === 'OK') break;
    if (Date.now() >= deadline) throw new UnavailableError(`the deploy lock of namespace ${namespace} is held by another deploy`);
    if (!warned) options.onWait?.();
    warned = true;
    await delay(options.pollMs ?? 250, options.signal);
  }

  const lost = new AbortController();
  const renew = setInterval(() => {
    redis
      .eval(RENEW, 1, key, token, String(ttl))
      .then((r) => {
        if (r !== 1) lost.abort(new Error(`lost the deploy lock of ${namespace}`));
      })
      .catch(() => undefined); // a Redis hiccup: the next renewal tries again
  }, Math.max(Math.floor(ttl / 3), 10));
  try {
    return await fn(lost.signal);
  } finally {
    clearInterval(renew);
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}

/** Whether somebody holds the lock of `namespace` now (for status displays and tests). */
export async function namespaceLocked(redis: Redis, keys: Keys, namespace: string): Promise<boolean> {
  return (await redis.exists(keys.envLock(namespace))) === 1;
}
