// Redis connections. BullMQ needs maxRetriesPerRequest: null on its connections; ours keep
// retrying too, so an unreachable Redis delays work instead of crashing the process.
import { Redis, type RedisOptions } from 'ioredis';
import { redactCredentials } from './repo-url.ts';
import type { Logger } from './logger.ts';

export type { Redis };

export function connectRedis(url: string, log?: Logger, extra: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    ...extra,
  });
  let warned = false;
  redis.on('error', (err: Error) => {
    if (warned) return;
    warned = true;
    log?.error({ redis: redactCredentials(url), err }, 'redis unreachable, retrying');
  });
  redis.on('ready', () => {
    if (warned) log?.info({ redis: redactCredentials(url) }, 'redis reachable again');
    warned = false;
  });
  return redis;
}

export async function redisReachable(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  try {
    const pong = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  }
}

/** Whether a Redis at `url` answers PING now: a one-shot connection, no retries. */
export async function redisAnswers(url: string, connectTimeoutMs = 1000): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: connectTimeoutMs });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
