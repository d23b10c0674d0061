// slipway builds [pipeline] [--branch B] [--status S] [--limit N] [-w] [-o json]: pipelines with
// their last build, or one pipeline's builds, newest first. -w then watches GET /api/events and
// prints each build that changes (a line, or a JSON line with -o json) until Ctrl-C.
import { parseArgs } from 'node:util';
import type { BuildRecord } from '../../core/records.ts';
import { ApiClient } from '../client.ts';
import { CLIENT_OPTIONS, clientTarget, UsageError, wantsJson, type CliContext, type Command } from '../context.ts';
import { short, table } from '../format.ts';
import { readSse } from '../sse.ts';
import { logStyle, useColour } from '../style.ts';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

const ref = (b: BuildRecord): string => b.branch ?? (b.tag ? `tag ${b.tag}` : '-');
const message = (b: BuildRecord): string => (b.commit?.message ?? '').split('\n', 1)[0]!.slice(0, 60);

/** Prints build changes from the event stream until `signal` aborts (or SIGINT without one). */
async function watch(api: ApiClient, ctx: CliContext, keep: (b: BuildRecord) => boolean, json: boolean): Promise<number> {
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  if (ctx.signal) ctx.signal.addEventListener('abort', onSigint, { once: true });
  else process.once('SIGINT', onSigint);
  const style = logStyle(useColour(ctx));
  try {
    let failures = 0;
    while (!stop.signal.aborted) {
      try {
        const res = await fetch(api.url('/api/events'), { headers: { ...api.headers(false), accept: 'text/event-stream' }, signal: stop.signal });
        if (!res.ok || !res.body) throw new Error(`GET /api/events answered ${res.status}`);
        for await (const ev of readSse(res.body)) {
          failures = 0;
          if (ev.event !== 'build') continue;
          const b = JSON.parse(ev.data) as BuildRecord;
          if (!keep(b)) continue;
          if (json) ctx.stdout(`${JSON.stringify(b)}\n`);
          else ctx.stdout(`${b.id}  ${style.status(b.status)}  ${ref(b)}  ${short(b.sha)}  ${b.trigger.type}  ${message(b)}\n`.replace(/ {2}\n$/, '\n'));
        }
      } catch (err) {
        if (stop.signal.aborted) break;
        if (++failures > 10) throw api.unreachable(err instanceof Error ? err.message : String(err));
      }
      if (!stop.signal.aborted) await new Promise((r) => setTimeout(r, Math.min(500 * failures, 3000)));
    }
    return 0;
  } finally {
    ctx.signal?.removeEventListener('abort', onSigint);
    process.off('SIGINT', onSigint);
  }
}

export const builds: Command = {
  summary: 'builds [pipeline] [--branch B] [--status S] [--limit N] [-w]   list pipelines, or one pipeline\'s builds; -w watches',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ...CLIENT_OPTIONS, branch: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' }, watch: { type: 'boolean', short: 'w', default: false } },
    });
    if (positionals.length > 1) throw new UsageError('give at most one pipeline');
    if (values.status !== undefined && !STATUSES.includes(values.status)) throw new UsageError(`--status takes one of ${STATUSES.join(', ')}`);
    const json = wantsJson(values);
    const api = new ApiClient(clientTarget(values, ctx));
    const [pipeline] = positionals;
    if (pipeline === undefined) {
      if (values.branch !== undefined || values.status !== undefined) throw new UsageError('--branch and --status need a pipeline');
      const res = await api.get<{ pipelines: { name: string; repo: string; lastBuild: BuildRecord | null }[] }>('/api/pipelines');
      if (json) ctx.stdout(`${JSON.stringify(res.pipelines, null, 2)}\n`);
      else {
        const rows = res.pipelines.map((p) => [p.name, p.lastBuild?.id ?? '-', p.lastBuild?.status ?? '-', p.lastBuild?.branch ?? p.lastBuild?.tag ?? '-', p.repo]);
        ctx.stdout(table(['PIPELINE', 'LAST BUILD', 'STATUS', 'REF', 'REPO'], rows));
      }
      return values.watch ? watch(api, ctx, () => true, json) : 0;
    }
    const q = new URLSearchParams();
    if (values.branch) q.set('branch', values.branch);
    if (values.status) q.set('status', values.status);
    if (values.limit) q.set('limit', values.limit);
    const qs = q.size ? `?${q.toString()}` : '';
    const res = await api.get<{ builds: BuildRecord[] }>(`/api/pipelines/${encodeURIComponent(pipeline)}/builds${qs}`);
    if (json) ctx.stdout(`${JSON.stringify(res.builds, null, 2)}\n`);
    else {
      const rows = res.builds.map((b) => [b.id, b.status, ref(b), short(b.sha), b.trigger.type, b.createdAt, b.reason ?? '']);
      ctx.stdout(table(['BUILD', 'STATUS', 'REF', 'SHA', 'TRIGGER', 'CREATED', 'REASON'], rows));
    }
    if (!values.watch) return 0;
    return watch(api, ctx, (b) => b.pipeline === pipeline && (!values.branch || b.branch === values.branch) && (!values.status || b.status === values.status), json);
  },
};
