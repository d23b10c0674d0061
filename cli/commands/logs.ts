// slipway logs <build> [-f]: the build's log; with -f it follows live and the exit code is the
// build's result (0 succeeded, 1 failed, 2 cancelled).
import { parseArgs } from 'node:util';
import { ApiClient } from '../client.ts';
import { CLIENT_OPTIONS, clientTarget, UsageError, type CliContext, type Command } from '../context.ts';
import { exitCodeFor } from '../format.ts';
import { followLog } from '../sse.ts';
import { logStyle, useColour } from '../style.ts';

/** Prints the log of `id` as it grows, until the build ends; returns the exit code. */
export async function followBuild(api: ApiClient, id: string, ctx: CliContext): Promise<number> {
  await api.ensureReachable();
  const style = logStyle(useColour(ctx));
  const status = await followLog(api.url(`/api/builds/${encodeURIComponent(id)}/log`), {
    headers: api.headers(false),
    onLine: (line) => ctx.stdout(`${style.line(line)}\n`),
  });
  ctx.stderr(`build ${id} ${style.status(status)}\n`);
  return exitCodeFor(status);
}

export const logs: Command = {
  summary: 'logs <build> [-f]   print a build\'s log; -f follows it and exits with the build\'s result',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...CLIENT_OPTIONS, follow: { type: 'boolean', short: 'f', default: false } } });
    if (positionals.length !== 1) throw new UsageError('give one build id, e.g. bulletin-board-42');
    const id = positionals[0]!;
    const api = new ApiClient(clientTarget(values, ctx));
    if (values.follow) return followBuild(api, id, ctx);
    const text = await api.get<string>(`/api/builds/${encodeURIComponent(id)}/log`);
    const style = logStyle(useColour(ctx));
    ctx.stdout(text.replace(/[^\n]+/g, (line) => style.line(line)));
    return 0;
  },
};
