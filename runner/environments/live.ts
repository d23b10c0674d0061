// Which environments the sweeper and reconcile look at: every one not yet deleted, plus those
// stuck tearing down for a while (a teardown that ran out of retries gets another go).
import type { EnvironmentRecord } from '../../core/records.ts';

export const STUCK_TEARDOWN_MS = 30 * 60_000;

export function needsKeeping(rec: EnvironmentRecord, now: Date): boolean {
  if (rec.status === 'deleted') return false;
  if (rec.status === 'tearing-down') return now.getTime() - Date.parse(rec.updatedAt) > STUCK_TEARDOWN_MS;
  return true;
}
