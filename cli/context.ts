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
} as const;

/** Wrong usage: printed with the command's usage line, exit code 2. */
export class UsageError extends Error {}

export interface ClientTarget {
  server: string;
  token: string | undefined;
  /** Sent as X-Slipway-User: who triggered, rerun or cancelled, for the build record. */
  user: string;
}

/** --server, else SLIPWAY_PUBLIC_URL / SLIPWAY_HOST:PORT; --token, else SLIPWAY_API_TOKEN, else .slipway/token. */
export function clientTarget(values: { server?: string | undefined; token?: string | undefined }, ctx: CliContext): ClientTarget {
  const config = readConfig(ctx.env, ctx.cwd);
  let token = values.token ?? config.apiToken;
  if (!token) {
    try {
      token = readFileSync(path.join(config.dataDir, 'token'), 'utf8').trim() || undefined;
    } catch {
      token = undefined;
    }
  }
  return { server: (values.server ?? config.publicUrl).replace(/\/+$/, ''), token, user: (ctx.env.USER || ctx.env.USERNAME || 'cli').replace(/[^\x20-\x7e]/g, '?') };
}
