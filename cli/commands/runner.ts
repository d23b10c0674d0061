// slipway runner: a build runner (and the environment keeper) against SLIPWAY_REDIS_URL.
// SIGTERM stops taking jobs and lets running builds finish (SLIPWAY_STOP_GRACE_MS, default 10 min).
import { parseArgs } from 'node:util';
import { readConfig, redactUrl } from '../../core/config.ts';
import { ConfigError, formatProblem } from '../../core/errors.ts';
import { createKeys } from '../../core/keys.ts';
import { createLogger } from '../../core/logger.ts';
import { connectRedis } from '../../core/redis.ts';
import { loadPipelines } from '../../pipelines/load.ts';
import type { Command } from '../context.ts';
import { startRunnerPart } from '../up/stack.ts';

export const runner: Command = {
  summary: 'runner   run builds from the queue; needs SLIPWAY_REDIS_URL',
  async run(args, ctx) {
    parseArgs({ args, options: {} });
    const config = readConfig(ctx.env, ctx.cwd);
    if (!config.redisUrl) throw new ConfigError('SLIPWAY_REDIS_URL is not set (slipway up starts an embedded Redis instead)');
    const log = createLogger({ name: 'slipway-runner' });
    const { pipelines, errors } = await loadPipelines(config.pipelinesDir);
    for (const p of errors) log.error({ problem: formatProblem(p) }, 'pipeline file invalid, skipped');
    const redis = connectRedis(config.redisUrl, log);
    const part = await startRunnerPart({
      redis,
      redisUrl: config.redisUrl,
      keys: createKeys(config.keyPrefix),
      config,
      log,
      env: ctx.env,
      pipelines: () => pipelines,
    });
    log.info({ redis: redactUrl(config.redisUrl), concurrency: config.concurrency }, 'runner listening for builds');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log.info({}, 'runner stopping');
    await part.close(Number(ctx.env.SLIPWAY_STOP_GRACE_MS ?? 600_000));
    redis.disconnect();
    return 0;
  },
};
