// Environment time-to-live: when an environment deployed now expires.
import { durationMs } from '../../pipelines/duration.ts';

/** The ISO expiry of an environment deployed at `now`, or undefined when it never expires (ttl '0'). */
export function expiryFrom(now: Date, ttl: string): string | undefined {
  const ms = durationMs(ttl);
  return ms === undefined ? undefined : new Date(now.getTime() + ms).toISOString();
}
