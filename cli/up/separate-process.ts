// What `slipway server` and `slipway runner` share when they run as processes of their own:
// configuration (SLIPWAY_REDIS_URL required), a logger, the pipelines, Redis, a start that ends
// the process when it fails, and a wait for SIGINT/SIGTERM.
import { readConfig } from '../../core/config.ts';
import { ConfigError, formatProblem } from '../../core/errors.ts';
import { createKeys } from '../../core/keys.ts';
import { createLogger } from '../../core/logger.ts';
import { connectRedis } from '../../core/redis.ts';
import { loadPipelines } from '../../pipelines/load.ts';
import type { CliContext } from '../context.ts';
import type { StackOptions } from './stack.ts';

export async function openSeparateProcess(ctx: CliContext, name: string): Promise<StackOptions> {
  const config = readConfig(ctx.env, ctx.cwd);
  if (!config.redisUrl) throw new ConfigError('SLIPWAY_REDIS_URL is not set (slipway up starts an embedded Redis instead)');
  const log = createLogger({ name });
  const { pipelines, errors } = await loadPipelines(config.pipelinesDir);
  for (const p of errors) log.error({ problem: formatProblem(p) }, 'pipeline file invalid, skipped');
  return {
    redis: connectRedis(config.redisUrl, log),
    redisUrl: config.redisUrl,
    keys: createKeys(config.keyPrefix),
    config,
    log,
    env: ctx.env,
    pipelines: () => pipelines,
  };
}

/**
 * Starts the process's part; when that fails (a port already taken, a workdir it cannot write, a
 * sandbox it cannot make) the Redis connection is closed and the error thrown, so the process
 * exits with it instead of idling on a connection it will never serve from.
 */
export async function startPart<T>(stack: StackOptions, start: (stack: StackOptions) => Promise<T>): Promise<T> {
  try {
    return await start(stack);
  } catch (err) {
    stack.redis.disconnect();
    throw err;
  }
}

export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
