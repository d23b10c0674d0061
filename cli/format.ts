// Plain-text tables for the CLI.
import type { BuildStatus } from '../core/records.ts';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** Exit code of `logs -f` / `rerun -f`: 0 succeeded, 1 failed, 2 cancelled. */
export function exitCodeFor(status: BuildStatus): number {
  return status === 'succeeded' ? 0 : status === 'cancelled' ? 2 : 1;
}

export const short = (sha: string): string => (sha ? sha.slice(0, 7) : '(head)');
