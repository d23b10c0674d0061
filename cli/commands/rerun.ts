// slipway rerun <build> [-f]: a new build of the same commit and inputs.
import { parseArgs } from 'node:util';
import type { BuildRecord } from '../../core/records.ts';
import { ApiClient } from '../client.ts';
import { CLIENT_OPTIONS, clientTarget, UsageError, wantsJson, type Command } from '../context.ts';
import { followBuild } from './logs.ts';

export const rerun: Command = {
  summary: 'rerun <build> [-f]   build the same commit again; -f follows the new build',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...CLIENT_OPTIONS, follow: { type: 'boolean', short: 'f', default: false } } });
    if (positionals.length !== 1) throw new UsageError('give one build id, e.g. bulletin-board-42');
    const api = new ApiClient(clientTarget(values, ctx));
    const build = await api.post<BuildRecord>(`/api/builds/${encodeURIComponent(positionals[0]!)}/rerun`);
    if (wantsJson(values)) ctx.stdout(`${JSON.stringify(build, null, 2)}\n`);
    else ctx.stdout(`${build.id} queued (rerun of ${positionals[0]!})\n`);
    return values.follow ? followBuild(api, build.id, ctx) : 0;
  },
};
