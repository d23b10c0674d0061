// Dispatch: `slipway <command> [args]`. Returns the exit code; bin.ts owns the process.
import { SlipwayError } from '../core/errors.ts';
import { COMMANDS } from './commands/index.ts';
import { UsageError, type CliContext } from './context.ts';

async function usage(ctx: CliContext, to: 'stdout' | 'stderr'): Promise<void> {
  const lines = await Promise.all(Object.entries(COMMANDS).map(async ([, load]) => `  slipway ${(await load()).summary}`));
  ctx[to](`usage: slipway <command> [options]\n\n${lines.join('\n')}\n\nclient commands take --server URL, --token (or SLIPWAY_API_TOKEN) and -o json\n`);
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    await usage(ctx, name === undefined ? 'stderr' : 'stdout');
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    ctx.stderr(`slipway: unknown command ${JSON.stringify(name)}\n`);
    await usage(ctx, 'stderr');
    return 2;
  }
  const command = await load();
  try {
    return await command.run(args, ctx);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      ctx.stderr(`slipway ${name}: ${(err as Error).message}\nusage: slipway ${command.summary}\n`);
      return 2;
    }
    ctx.stderr(`slipway ${name}: ${err instanceof SlipwayError || err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
