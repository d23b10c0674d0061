// Cancelling a build. A queued one is taken off the queue (Queue.remove: BullMQ refuses while a
// runner holds the job) and its record ends as cancelled; a running one is asked to stop
// (cancelRequested on the record, plus a message to runners), which the runner honours unless its
// deploy has started.
import { publishCancel } from './cancel.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { nowIso } from './ids.ts';
import { isFinal, type BuildRecord } from './records.ts';
import type { TriggerDeps } from './trigger.ts';

export type CancelOutcome = 'cancelled' | 'stop-requested' | 'already-finished';

/**
 * Takes a queued build off the queue. Listed as unqueued first: should the process die after the
 * job is removed and before the record says cancelled, the job repair gives it its job back (it
 * then runs rather than staying queued forever). False when a runner holds the job.
 */
async function removeQueued(deps: TriggerDeps, id: string): Promise<boolean> {
  await deps.builds.markUnqueued(id);
  const removed = (await deps.queues.builds.remove(id)) === 1;
  if (!removed) await deps.builds.markQueued([id]);
  return removed;
}

/** Cancels one build with `reason`. `knownRaw` is the record as just read, if the caller has it. */
export async function cancelBuild(deps: TriggerDeps, id: string, reason: string, knownRaw?: string): Promise<CancelOutcome> {
  const raw = knownRaw ?? (await deps.redis.get(deps.keys.build(id)));
  if (raw === null) throw new NotFoundError(`no build ${id}`);
  const current = JSON.parse(raw) as BuildRecord;
  if (current.status === 'queued' && (await removeQueued(deps, id))) {
    // No runner can take it now: only another cancel can change the record meanwhile.
    let ours = false;
    const after = await deps.builds.update(
      id,
      (r) => {
        ours = r.status === 'queued';
        return ours ? { ...r, status: 'cancelled', reason, finishedAt: nowIso() } : undefined;
      },
      raw,
    );
    if (ours) {
      await Promise.all([deps.logs.append(id, [`cancelled: ${reason}`]).then(() => deps.logs.end(id, 'cancelled')), deps.builds.markQueued([id])]);
      deps.onStatus?.(current.pipeline, 'cancelled');
      deps.onFinished?.(after);
      deps.log?.info({ build: id, reason }, 'build cancelled');
      return 'cancelled';
    }
    await deps.builds.markQueued([id]);
    if (isFinal(after.status)) return 'already-finished';
  }
  if (isFinal(current.status)) return 'already-finished';
  const after = await deps.builds.update(id, (r) => (isFinal(r.status) || r.cancelRequested ? undefined : { ...r, cancelRequested: reason }));
  if (isFinal(after.status)) return 'already-finished';
  await publishCancel(deps.redis, deps.keys, { buildId: id, reason });
  deps.log?.info({ build: id, reason }, 'build stop requested');
  return 'stop-requested';
}

/** Cancels one build on request; a finished build is a conflict. */
export async function requestCancel(deps: TriggerDeps, id: string, by?: string): Promise<CancelOutcome> {
  const outcome = await cancelBuild(deps, id, by ? `cancelled by ${by}` : 'cancelled on request');
  if (outcome === 'already-finished') {
    const r = await deps.builds.require(id);
    throw new ConflictError(`build ${id} has already finished (${r.status})`);
  }
  return outcome;
}
