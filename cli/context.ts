// What every CLI command gets: its arguments, where to write, the environment. Commands return
// their exit code; nothing calls process.exit but bin.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readConfig } from '../core/config.ts';

export interface CliContext {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stdout is a terminal: colours and stage headers; piped output is plain text. */
  isTTY?: boolean;
  /** Ends commands that watch (builds -w); without it they end on SIGINT. */
  signal?: AbortSignal;
}

export type CommandRun = (args: string[], ctx: CliContext) => Promise<number>;

export interface Command {
  summary: string;
  run: CommandRun;
}

/** Options every client command accepts. */
export const CLIENT_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  output: { type: 'string', short: 'o' },
} as const;

/** `-o json` (or --json): print JSON instead of a table. */
export function wantsJson(values: { json?: boolean | undefined; output?: string | undefined }): boolean {
  if (values.output !== undefined && values.output !== 'json' && values.output !== 'table') throw new UsageError(`-o takes json or table, not ${JSON.stringify(values.output)}`);
  return values.json === true || values.output === 'json';
}

/** Wrong usage: printed with the command's usage line, exit code 2. */
export class UsageError extends Error {}

export interface ClientTarget {
  server: string;
  /** Where the server URL came from, for messages: --server, SLIPWAY_PUBLIC_URL, up.json, or the default. */
  from: string;
  token: string | undefined;
  /** Sent as X-Slipway-User: who triggered, rerun or cancelled, for the build record. */
  user: string;
}

/** The URL a running `slipway up` wrote into its data folder's up.json, if there is one. */
function upJsonUrl(dataDir: string): { url: string; file: string } | undefined {
  const file = path.join(dataDir, 'up.json');
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown };
    return typeof parsed.url === 'string' && /^https?:\/\//.test(parsed.url) ? { url: parsed.url, file } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * --server, else SLIPWAY_PUBLIC_URL, else the up.json `slipway up` wrote in the data folder, else
 * SLIPWAY_HOST:PORT; --token, else SLIPWAY_API_TOKEN, else the data folder's token.
 */
export function clientTarget(values: { server?: string | undefined; token?: string | undefined }, ctx: CliContext): ClientTarget {
  const config = readConfig(ctx.env, ctx.cwd);
  let server = config.publicUrl;
  let from = 'the default (SLIPWAY_HOST:SLIPWAY_PORT)';
  const up = upJsonUrl(config.dataDir);
  if (values.server !== undefined) [server, from] = [values.server, '--server'];
  else if (ctx.env.SLIPWAY_PUBLIC_URL) from = 'SLIPWAY_PUBLIC_URL';
  else if (up) [server, from] = [up.url, up.file];
  let token = values.token ?? config.apiToken;
  if (!token) {
    try {
      token = readFileSync(path.join(config.dataDir, 'token'), 'utf8').trim() || undefined;
    } catch {
      token = undefined;
    }
  }
  return { server: server.replace(/\/+$/, ''), from, token, user: (ctx.env.USER || ctx.env.USERNAME || 'cli').replace(/[^\x20-\x7e]/g, '?') };
}
