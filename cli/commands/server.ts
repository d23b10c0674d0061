// slipway server: the HTTP edge (webhooks, REST, dashboard, metrics) against SLIPWAY_REDIS_URL.
import { parseArgs } from 'node:util';
import { redactCredentials } from '../../core/repo-url.ts';
import type { Command } from '../context.ts';
import { openSeparateProcess, startPart, untilSignal } from '../up/separate-process.ts';
import { startServerPart } from '../up/stack.ts';

export const server: Command = {
  summary: 'server   run the HTTP server (webhooks, REST API, dashboard, metrics); needs SLIPWAY_REDIS_URL',
  async run(args, ctx) {
    parseArgs({ args, options: {} });
    const stack = await openSeparateProcess(ctx, 'slipway-server');
    const { config, log } = stack;
    if (!config.apiToken) log.warn({}, 'SLIPWAY_API_TOKEN is not set: REST writes are refused');
    const part = await startPart(stack, (s) => startServerPart({ ...s, port: config.port }));
    log.info({ url: part.url, redis: redactCredentials(stack.redisUrl), pipelines: stack.pipelines().map((p) => p.pipeline.metadata.name) }, 'server listening');
    await untilSignal();
    log.info({}, 'server stopping');
    await part.close();
    stack.redis.disconnect();
    return 0;
  },
};
