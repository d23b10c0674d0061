// slipway cancel <build>: a queued build is taken off the queue, a running one is asked to stop.
import { parseArgs } from 'node:util';
import type { BuildRecord } from '../../core/records.ts';
import { ApiClient } from '../client.ts';
import { CLIENT_OPTIONS, clientTarget, UsageError, wantsJson, type Command } from '../context.ts';

export const cancel: Command = {
  summary: 'cancel <build>   cancel a queued build, or ask a running one to stop',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: CLIENT_OPTIONS });
    if (positionals.length !== 1) throw new UsageError('give one build id, e.g. bulletin-board-42');
    const api = new ApiClient(clientTarget(values, ctx));
    const id = positionals[0]!;
    const res = await api.post<{ outcome: string; build: BuildRecord }>(`/api/builds/${encodeURIComponent(id)}/cancel`);
    if (wantsJson(values)) ctx.stdout(`${JSON.stringify(res, null, 2)}\n`);
    else ctx.stdout(res.outcome === 'cancelled' ? `${id} cancelled\n` : `${id} asked to stop (a deploy that has started finishes first)\n`);
    return 0;
  },
};
