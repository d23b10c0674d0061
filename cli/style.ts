// Terminal styling for the CLI: colours and stage headers on a terminal, plain text when piped
// (escape codes stripped). NO_COLOR turns colours off, FORCE_COLOR on.
import type { BuildStatus } from '../core/records.ts';
import type { CliContext } from './context.ts';

// CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks)
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export const stripAnsi = (text: string): string => text.replace(ESCAPES, '');

export function useColour(ctx: Pick<CliContext, 'env' | 'isTTY'>): boolean {
  if (ctx.env.NO_COLOR) return false;
  if (ctx.env.FORCE_COLOR && ctx.env.FORCE_COLOR !== '0') return true;
  return ctx.isTTY === true;
}

const paint = (code: string, text: string): string => `\u001b[${code}m${text}\u001b[0m`;

const STATUS_COLOUR: Record<BuildStatus, string> = { succeeded: '32', failed: '31', cancelled: '33', running: '36', queued: '90' };

export interface LogStyle {
  line(text: string): string;
  status(status: BuildStatus, text?: string): string;
}

/** How `logs -f` prints: a stage header (`==> build`) as a bold rule on a terminal; plain text when piped. */
export function logStyle(colour: boolean): LogStyle {
  if (!colour) return { line: stripAnsi, status: (s, text) => text ?? s };
  return {
    line: (text) => {
      const header = /^==> (\S.*)$/.exec(text);
      return header ? `\n${paint('1;36', `━━ ${header[1]} ${'━'.repeat(Math.max(4, 40 - header[1]!.length))}`)}` : text;
    },
    status: (s, text) => paint(`1;${STATUS_COLOUR[s]}`, text ?? s),
  };
}
