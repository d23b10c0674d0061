// Durations as pipeline files write them ('30s', '5m', '1h30m', '72h', '2d', '500ms'; '0' for
// none): the one pattern the schema checks and the one parser the runner reads them with.
import { ValidationError } from '../core/errors.ts';

export const DURATION = /^(\d+(ms|s|m|h|d))+$|^0$/;
export const DURATION_HINT = 'must be a duration such as 30s, 5m, 72h or 0';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration; undefined for '0' (no limit, never expires). */
export function durationMs(duration: string): number | undefined {
  if (!DURATION.test(duration)) throw new ValidationError(`duration ${JSON.stringify(duration)} ${DURATION_HINT}`);
  let total = 0;
  for (const m of duration.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total === 0 ? undefined : total;
}
