// Starting and stopping builds, shared by the server (webhooks, REST) and the CLI: the build record,
// its BullMQ job (jobId = build id), superseding a branch's older builds, cancel and rerun.
import type { Redis } from 'ioredis';
import type { BuildStore, NewBuild } from './build-store.ts';
import { publishCancel } from './cancel.ts';
import { ConflictError } from './errors.ts';
import { nowIso } from './ids.ts';
import type { Keys } from './keys.ts';
import type { LogStream } from './log-stream.ts';
import type { Logger } from './logger.ts';
import type { Queues } from './queue.ts';
import { isFinal, type BuildRecord } from './records.ts';

export interface TriggerDeps {
  redis: Redis;
  keys: Keys;
  builds: BuildStore;
  logs: LogStream;
  queues: Queues;
  log?: Logger;
  /** Called with every status this module gives a build (queued, cancelled): metrics hook. */
  onStatus?: (pipeline: string, status: 'queued' | 'cancelled') => void;
}

/** How far back along a branch supersede looks: older ones were superseded by earlier pushes. */
const SUPERSEDE_WINDOW = 100;

/** Creates the record and queues its job. Does not supersede: call `supersede` (after answering). */
export async function queueBuild(deps: TriggerDeps, input: NewBuild): Promise<BuildRecord> {
  const build = await deps.builds.create({ ...input, status: 'queued' });
  try {
    await deps.queues.builds.add('build', { buildId: build.id }, { jobId: build.id });
  } catch (err) {
    // The record must not claim a queued build that no runner will ever see.
    await deps.builds
      .update(build.id, (r) => ({ ...r, status: 'failed', reason: 'could not be queued', finishedAt: nowIso() }))
      .catch(() => undefined);
    throw err;
  }
  deps.onStatus?.(build.pipeline, 'queued');
  return build;
}

export type CancelOutcome = 'cancelled' | 'stop-requested' | 'already-finished';

/**
 * Cancels one build. A queued one is taken off the queue and ends as cancelled with `reason`; a
 * running one is asked to stop (cancelRequested on the record, plus a message to runners), which
 * the runner honours unless its deploy has started.
 */
export async function cancelBuild(deps: TriggerDeps, id: string, reason: string): Promise<CancelOutcome> {
  const current = await deps.builds.require(id);
  if (isFinal(current.status)) return 'already-finished';
  if (current.status === 'queued') {
    const job = await deps.queues.builds.getJob(id);
    let removed = job === undefined;
    if (job) {
      try {
        await job.remove();
        removed = true;
      } catch {
        // locked: a runner has just taken it, so it is running now
        removed = false;
      }
    }
    if (removed) {
      let changed = false;
      const after = await deps.builds.update(id, (r) => {
        if (r.status !== 'queued') return undefined;
        changed = true;
        return { ...r, status: 'cancelled', reason, finishedAt: nowIso() };
      });
      if (changed) {
        await deps.logs.append(id, [`cancelled: ${reason}`]);
        await deps.logs.end(id, 'cancelled');
        deps.onStatus?.(after.pipeline, 'cancelled');
        deps.log?.info({ build: id, reason }, 'build cancelled');
        return 'cancelled';
      }
      if (isFinal(after.status)) return 'already-finished';
    }
  }
  const after = await deps.builds.update(id, (r) => (isFinal(r.status) || r.cancelRequested ? undefined : { ...r, cancelRequested: reason }));
  if (isFinal(after.status)) return 'already-finished';
  await publishCancel(deps.redis, deps.keys, { buildId: id, reason });
  deps.log?.info({ build: id, reason }, 'build stop requested');
  return 'stop-requested';
}

/** Cancels the branch's older unfinished builds in favour of `newer`. Returns the ids it touched. */
export async function supersede(deps: TriggerDeps, newer: BuildRecord): Promise<string[]> {
  if (newer.branch === undefined) return [];
  const ids = await deps.builds.olderOnBranch(newer.pipeline, newer.branch, newer.number, SUPERSEDE_WINDOW);
  if (ids.length === 0) return [];
  const raws = await deps.redis.mget(ids.map((i) => deps.keys.build(i)));
  const touched: string[] = [];
  for (const raw of raws) {
    if (!raw) continue;
    const old = JSON.parse(raw) as BuildRecord;
    if (isFinal(old.status) || old.cancelRequested) continue;
    const outcome = await cancelBuild(deps, old.id, `superseded by ${newer.id}`);
    if (outcome !== 'already-finished') touched.push(old.id);
  }
  return touched;
}

/** Runs supersede without making the caller wait; failures are logged, never thrown. */
export function supersedeInBackground(deps: TriggerDeps, newer: BuildRecord): void {
  supersede(deps, newer).catch((err: unknown) => {
    deps.log?.error({ build: newer.id, err: err instanceof Error ? err.message : String(err) }, 'supersede failed');
  });
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
  if (old.before !== undefined) input.before = old.before;
  if (old.pathsUndecided !== undefined) input.pathsUndecided = old.pathsUndecided;
  if (old.params !== undefined) input.params = old.params;
  return queueBuild(deps, input);
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
