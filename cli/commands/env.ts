// slipway env ls | slipway env rm <id>: the per-branch environments.
import { parseArgs } from 'node:util';
import type { EnvironmentRecord } from '../../core/records.ts';
import { ApiClient } from '../client.ts';
import { CLIENT_OPTIONS, clientTarget, UsageError, wantsJson, type Command } from '../context.ts';
import { table } from '../format.ts';

export const env: Command = {
  summary: 'env ls [--all] | env rm <id>   list the per-branch environments (--all: torn-down ones too), or tear one down',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...CLIENT_OPTIONS, all: { type: 'boolean', short: 'a', default: false } } });
    const [sub, ...rest] = positionals;
    const api = new ApiClient(clientTarget(values, ctx));
    if (sub === 'ls' || sub === 'list') {
      if (rest.length) throw new UsageError('env ls takes no arguments');
      const res = await api.get<{ environments: EnvironmentRecord[] }>(`/api/environments${values.all ? '?include=deleted' : ''}`);
      if (wantsJson(values)) return ctx.stdout(`${JSON.stringify(res.environments, null, 2)}\n`), 0;
      const rows = res.environments.map((e) => [e.id, e.status, e.namespace, e.branch, e.lastBuild ?? '-', e.expiresAt ?? 'never', e.urls.join(' ')]);
      ctx.stdout(table(['ID', 'STATUS', 'NAMESPACE', 'BRANCH', 'LAST BUILD', 'EXPIRES', 'URLS'], rows));
      return 0;
    }
    if (sub === 'rm' || sub === 'delete') {
      if (rest.length !== 1) throw new UsageError('give one environment id (see slipway env ls)');
      await api.delete(`/api/environments/${encodeURIComponent(rest[0]!)}`);
      ctx.stdout(`teardown of ${rest[0]!} queued\n`);
      return 0;
    }
    throw new UsageError('use env ls or env rm <id>');
  },
};
