// Environment time-to-live: the pipeline's duration string ('72h', '1h30m', '0') as milliseconds.
import { ValidationError } from '../../core/errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration such as 72h or 1h30m; undefined for '0' (never expires). */
export function ttlMs(ttl: string): number | undefined {
  if (ttl === '0') return undefined;
  if (!/^(\d+(ms|s|m|h|d))+$/.test(ttl)) throw new ValidationError(`ttl ${JSON.stringify(ttl)} must be a duration such as 30s, 5m, 72h or 0`);
  let total = 0;
  for (const m of ttl.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total === 0 ? undefined : total;
}

/** The ISO expiry of an environment deployed at `now`, or undefined when it never expires. */
export function expiryFrom(now: Date, ttl: string): string | undefined {
  const ms = ttlMs(ttl);
  return ms === undefined ? undefined : new Date(now.getTime() + ms).toISOString();
}
