// slipway server: the HTTP edge (webhooks, REST, metrics) against SLIPWAY_REDIS_URL.
import { parseArgs } from 'node:util';
import { bullConnection } from '../../core/bull-connection.ts';
import { readConfig, redactUrl } from '../../core/config.ts';
import { ConfigError, formatProblem } from '../../core/errors.ts';
import { createKeys } from '../../core/keys.ts';
import { createLogger } from '../../core/logger.ts';
import { createQueues } from '../../core/queue.ts';
import { connectRedis } from '../../core/redis.ts';
import { loadPipelines } from '../../pipelines/load.ts';
import { createServer, listen } from '../../server/create-server.ts';
import type { Command } from '../context.ts';

export const server: Command = {
  summary: 'server   run the HTTP server (webhooks, REST API, metrics); needs SLIPWAY_REDIS_URL',
  async run(args, ctx) {
    parseArgs({ args, options: {} });
    const config = readConfig(ctx.env, ctx.cwd);
    if (!config.redisUrl) throw new ConfigError('SLIPWAY_REDIS_URL is not set (slipway up starts an embedded Redis instead)');
    const log = createLogger({ name: 'slipway-server' });
    const { pipelines, errors } = await loadPipelines(config.pipelinesDir);
    for (const p of errors) log.error({ problem: formatProblem(p) }, 'pipeline file invalid, skipped');
    if (!config.apiToken) log.warn({}, 'SLIPWAY_API_TOKEN is not set: REST writes are refused');
    const redis = connectRedis(config.redisUrl, log);
    const queues = createQueues(bullConnection(config.redisUrl), `${config.keyPrefix}bull`);
    const app = createServer({ redis, keys: createKeys(config.keyPrefix), queues, pipelines, config, log, env: ctx.env, defaultMetrics: true });
    const { server: http, url } = await listen(app, config.port, config.host);
    log.info({ url, redis: redactUrl(config.redisUrl), pipelines: pipelines.map((p) => p.pipeline.metadata.name) }, 'server listening');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    log.info({}, 'server stopping');
    app.close();
    await app.superseder.idle();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await queues.close();
    redis.disconnect();
    return 0;
  },
};
