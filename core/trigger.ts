// Starting builds, shared by the server (webhooks, REST) and the CLI: the record first (queued, and
// listed in `unqueued`), then its BullMQ job through Queue.add (jobId = build id), then the listing
// is dropped. A record therefore never stays without its job: should the process die between the two
// steps, the job repair (repairUnqueued, run by the server) adds the job of every record still listed;
// should Queue.add refuse, the record is taken back and the caller sees the error.
import type { Redis } from 'ioredis';
import { newRecord, type BuildStore, type NewBuild } from './build-store.ts';
import type { Keys } from './keys.ts';
import type { LogStream } from './log-stream.ts';
import type { Logger } from './logger.ts';
import { addBuildJob, type Queues } from './queue.ts';
import type { BuildRecord } from './records.ts';

export interface TriggerDeps {
  redis: Redis;
  keys: Keys;
  builds: BuildStore;
  logs: LogStream;
  queues: Queues;
  log?: Logger;
  /** Called with every status this module gives a build (queued, cancelled): metrics hook. */
  onStatus?: (pipeline: string, status: 'queued' | 'cancelled') => void;
  /** Called with every build once its job is queued (e.g. to send a pending commit status). */
  onQueued?: (build: BuildRecord) => void;
  /** Called with every build ended before it ran (cancelled while queued), e.g. to send its final status. */
  onFinished?: (build: BuildRecord) => void;
}

/**
 * Adds the jobs of records insert() has just written. Should an add fail, that record is taken
 * back (nothing of the build is left) and the first error is thrown once every add has settled.
 */
export async function addJobs(deps: TriggerDeps, records: BuildRecord[]): Promise<void> {
  const results = await Promise.allSettled(records.map((r) => addBuildJob(deps.queues.builds, r.id)));
  const added = records.filter((_r, i) => results[i]!.status === 'fulfilled');
  const failed = records.filter((_r, i) => results[i]!.status === 'rejected');
  await Promise.all(failed.map((r) => deps.builds.discard(r)));
  // Dropping the listing is not part of the answer: the repair would only find the job there.
  void deps.builds.markQueued(added.map((r) => r.id)).catch(() => undefined);
  for (const r of added) {
    deps.onStatus?.(r.pipeline, 'queued');
    deps.onQueued?.(r);
  }
  const firstFailure = results.find((r) => r.status === 'rejected');
  if (firstFailure) throw (firstFailure as PromiseRejectedResult).reason;
}

/** Creates the record and its job. Does not supersede: see core/supersede.ts. */
export async function queueBuild(deps: TriggerDeps, input: NewBuild): Promise<BuildRecord> {
  const record = newRecord({ ...input, status: 'queued' }, await deps.builds.nextNumber(input.pipeline));
  await deps.builds.insert(record);
  await addJobs(deps, [record]);
  return record;
}

/** A new build of the same commit and inputs as `id`. */
export async function rerunBuild(deps: TriggerDeps, id: string, by?: string): Promise<BuildRecord> {
  const old = await deps.builds.require(id);
  const input: NewBuild = {
    pipeline: old.pipeline,
    trigger: { type: 'rerun', rerunOf: old.id, ...(by ? { by } : {}) },
    repo: old.repo,
    sha: old.sha,
  };
  if (old.branch !== undefined) input.branch = old.branch;
  if (old.tag !== undefined) input.tag = old.tag;
  if (old.commit !== undefined) input.commit = old.commit;
  if (old.before !== undefined) input.before = old.before;
  if (old.pathsUndecided !== undefined) input.pathsUndecided = old.pathsUndecided;
  if (old.params !== undefined) input.params = old.params;
  return queueBuild(deps, input);
}

/** How long a build may be listed as unqueued before the repair adds its job. */
export const REPAIR_GRACE_MS = 10_000;

/**
 * Adds the job of every queued build listed as unqueued for longer than `graceMs` (a process that
 * died between the record and Queue.add, or a cancel between removing the job and recording it),
 * and drops the listing of the others. Returns the ids whose job it added.
 */
export async function repairUnqueued(deps: TriggerDeps, graceMs = REPAIR_GRACE_MS, now = Date.now()): Promise<string[]> {
  const repaired: string[] = [];
  for (;;) {
    const ids = await deps.builds.unqueuedBefore(now - graceMs);
    if (ids.length === 0) return repaired;
    for (const id of ids) {
      const record = await deps.builds.get(id);
      if (record?.status === 'queued' && !(await deps.queues.builds.getJob(id))) {
        await addBuildJob(deps.queues.builds, id);
        repaired.push(id);
        deps.log?.warn({ build: id }, 'queued build had no job: job added');
      }
    }
    await deps.builds.markQueued(ids);
  }
}
