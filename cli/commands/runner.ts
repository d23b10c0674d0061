// slipway runner: a build runner (and the environment keeper) against SLIPWAY_REDIS_URL.
// SIGTERM stops taking jobs and lets running builds finish (SLIPWAY_STOP_GRACE_MS, default 10 min).
import { parseArgs } from 'node:util';
import { redactCredentials } from '../../core/repo-url.ts';
import type { Command } from '../context.ts';
import { openSeparateProcess, startPart, untilSignal } from '../up/separate-process.ts';
import { startRunnerPart } from '../up/stack.ts';

export const runner: Command = {
  summary: 'runner   run builds from the queue; needs SLIPWAY_REDIS_URL',
  async run(args, ctx) {
    parseArgs({ args, options: {} });
    const stack = await openSeparateProcess(ctx, 'slipway-runner');
    const part = await startPart(stack, startRunnerPart);
    stack.log.info({ redis: redactCredentials(stack.redisUrl), concurrency: stack.config.concurrency }, 'runner listening for builds');
    await untilSignal();
    stack.log.info({}, 'runner stopping');
    await part.close(stack.config.stopGraceMs ?? 600_000);
    stack.redis.disconnect();
    return 0;
  },
};
