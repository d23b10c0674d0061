// slipway builds [pipeline] [--branch B] [--status S] [--limit N]: pipelines with their last
// build, or one pipeline's builds, newest first.
import { parseArgs } from 'node:util';
import type { BuildRecord } from '../../core/records.ts';
import { ApiClient } from '../client.ts';
import { CLIENT_OPTIONS, clientTarget, UsageError, wantsJson, type Command } from '../context.ts';
import { short, table } from '../format.ts';

export const builds: Command = {
  summary: 'builds [pipeline] [--branch B] [--status S] [--limit N]   list pipelines, or one pipeline\'s builds',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ...CLIENT_OPTIONS, branch: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } },
    });
    if (positionals.length > 1) throw new UsageError('give at most one pipeline');
    const api = new ApiClient(clientTarget(values, ctx));
    const [pipeline] = positionals;
    if (pipeline === undefined) {
      const res = await api.get<{ pipelines: { name: string; repo: string; lastBuild: BuildRecord | null }[] }>('/api/pipelines');
      if (wantsJson(values)) return ctx.stdout(`${JSON.stringify(res.pipelines, null, 2)}\n`), 0;
      const rows = res.pipelines.map((p) => [p.name, p.lastBuild?.id ?? '-', p.lastBuild?.status ?? '-', p.lastBuild?.branch ?? p.lastBuild?.tag ?? '-', p.repo]);
      ctx.stdout(table(['PIPELINE', 'LAST BUILD', 'STATUS', 'REF', 'REPO'], rows));
      return 0;
    }
    const q = new URLSearchParams();
    if (values.branch) q.set('branch', values.branch);
    if (values.status) q.set('status', values.status);
    if (values.limit) q.set('limit', values.limit);
    const qs = q.size ? `?${q.toString()}` : '';
    const res = await api.get<{ builds: BuildRecord[] }>(`/api/pipelines/${encodeURIComponent(pipeline)}/builds${qs}`);
    if (wantsJson(values)) return ctx.stdout(`${JSON.stringify(res.builds, null, 2)}\n`), 0;
    const rows = res.builds.map((b) => [b.id, b.status, b.branch ?? (b.tag ? `tag ${b.tag}` : '-'), short(b.sha), b.trigger.type, b.createdAt, b.reason ?? '']);
    ctx.stdout(table(['BUILD', 'STATUS', 'REF', 'SHA', 'TRIGGER', 'CREATED', 'REASON'], rows));
    return 0;
  },
};
