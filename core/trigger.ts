// Starting and stopping builds, shared by the server (webhooks, REST) and the CLI: the build record,
// its BullMQ job (jobId = build id), superseding a branch's older builds, cancel and rerun.
import type { Redis } from 'ioredis';
import { evalScript, luaScript, type BuildStore, type LuaScript, type NewBuild } from './build-store.ts';
import { bullmqRemoveJob } from './bullmq-script.ts';
import { publishCancel } from './cancel.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { nowIso } from './ids.ts';
import type { Keys } from './keys.ts';
import { LOG_MAX_LINES, type LogStream } from './log-stream.ts';
import type { Logger } from './logger.ts';
import { jobTarget, type Queues } from './queue.ts';
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
  /** Called with every build once its job is queued (e.g. to send a pending commit status). */
  onQueued?: (build: BuildRecord) => void;
}

/** Builds read per round trip while superseding. */
const SUPERSEDE_PAGE = 100;

/** Creates the record and its job, in one Redis script. Does not supersede: see createSuperseder. */
export async function queueBuild(deps: TriggerDeps, input: NewBuild): Promise<BuildRecord> {
  return queued(deps, await deps.builds.create({ ...input, status: 'queued' }, jobTarget(deps.queues.builds)));
}

/**
 * As queueBuild, unless `dedupe.key` exists (a redelivered webhook): then undefined, nothing done.
 * `firstOnBranch` says there is nothing older on the branch to supersede.
 */
export async function queueBuildOnce(
  deps: TriggerDeps,
  input: NewBuild,
  dedupe: { key: string; seconds: number },
  onClaimed?: () => void,
): Promise<{ build: BuildRecord; firstOnBranch: boolean } | undefined> {
  const created = await deps.builds.createUnlessDuplicate({ ...input, status: 'queued' }, dedupe, jobTarget(deps.queues.builds));
  if (!created) return undefined;
  onClaimed?.();
  return { build: queued(deps, created.build), firstOnBranch: created.firstOnBranch };
}

function queued(deps: TriggerDeps, build: BuildRecord): BuildRecord {
  deps.onStatus?.(build.pipeline, 'queued');
  deps.onQueued?.(build);
  return build;
}

export type CancelOutcome = 'cancelled' | 'stop-requested' | 'already-finished';

// One round trip takes a queued build off the queue: BullMQ's own removeJob (run as a function, as
// Queue.remove runs it) removes the job unless a runner holds it, and the record goes from exactly
// what was read (ARGV[1]) to cancelled (ARGV[2]), its log getting the reason and the end entry in the
// format of core/log-stream.ts (ids `0-<line>`, fields `line` / `status`). ARGV[5]: the queue's key
// prefix, ARGV[6]: the build id. 1: cancelled; 0: the record changed meanwhile (nothing done);
// 2: a runner has just taken the job (it is running; nothing done).
let cancelQueued: LuaScript | undefined;
function cancelQueuedScript(): LuaScript {
  cancelQueued ??= luaScript(`local removeJob = function(KEYS, ARGV)
${bullmqRemoveJob()}
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if removeJob({ ARGV[5] .. ARGV[6], ARGV[5] .. 'repeat' }, { ARGV[6], '1', ARGV[5] }) ~= 1 then return 2 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '0-*', 'line', ARGV[4])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '0-*', 'status', 'cancelled')
return 1`);
  return cancelQueued;
}

async function cancelQueuedBuild(deps: TriggerDeps, raw: string, next: BuildRecord, line: string): Promise<0 | 1 | 2> {
  const keys = [deps.keys.build(next.id), deps.keys.log(next.id)];
  const args = [raw, JSON.stringify(next), String(LOG_MAX_LINES), line, jobTarget(deps.queues.builds).queueKey, next.id];
  return (await evalScript(deps.redis, cancelQueuedScript(), keys, args)) as 0 | 1 | 2;
}

/**
 * Cancels one build. A queued one is taken off the queue and ends as cancelled with `reason`; a
 * running one is asked to stop (cancelRequested on the record, plus a message to runners), which
 * the runner honours unless its deploy has started. `knownRaw` is the record as just read, if
 * the caller has it.
 */
export async function cancelBuild(deps: TriggerDeps, id: string, reason: string, knownRaw?: string): Promise<CancelOutcome> {
  let raw = knownRaw ?? (await deps.redis.get(deps.keys.build(id)));
  if (raw === null) throw new NotFoundError(`no build ${id}`);
  let current = JSON.parse(raw) as BuildRecord;
  while (current.status === 'queued') {
    const next: BuildRecord = { ...current, status: 'cancelled', reason, finishedAt: nowIso() };
    const outcome = await cancelQueuedBuild(deps, raw, next, `cancelled: ${reason}`);
    if (outcome === 1) {
      deps.onStatus?.(current.pipeline, 'cancelled');
      deps.log?.info({ build: id, reason }, 'build cancelled');
      return 'cancelled';
    }
    if (outcome === 2) break; // a runner has just taken it: it is running
    raw = await deps.redis.get(deps.keys.build(id));
    if (raw === null) throw new NotFoundError(`no build ${id}`);
    current = JSON.parse(raw) as BuildRecord;
  }
  if (isFinal(current.status)) return 'already-finished';
  const after = await deps.builds.update(id, (r) => (isFinal(r.status) || r.cancelRequested ? undefined : { ...r, cancelRequested: reason }));
  if (isFinal(after.status)) return 'already-finished';
  await publishCancel(deps.redis, deps.keys, { buildId: id, reason });
  deps.log?.info({ build: id, reason }, 'build stop requested');
  return 'stop-requested';
}

/**
 * Cancels the branch's older unfinished builds in favour of `newer`, looking only above `after`
 * (builds at or below it were dealt with by an earlier supersede). Returns the ids it touched.
 */
export async function supersede(deps: TriggerDeps, newer: BuildRecord, after = 0): Promise<string[]> {
  if (newer.branch === undefined) return [];
  const key = deps.keys.branchBuilds(newer.pipeline, newer.branch);
  const touched: string[] = [];
  let upper = newer.number;
  for (;;) {
    const page = await deps.redis.zrevrangebyscore(key, `(${upper}`, `(${after}`, 'WITHSCORES', 'LIMIT', 0, SUPERSEDE_PAGE);
    const ids = page.filter((_v, i) => i % 2 === 0);
    if (ids.length === 0) break;
    const raws = await deps.redis.mget(ids.map((i) => deps.keys.build(i)));
    const open = raws
      .filter((r): r is string => r !== null)
      .map((raw) => ({ raw, b: JSON.parse(raw) as BuildRecord }))
      .filter(({ b }) => !isFinal(b.status) && !b.cancelRequested);
    const outcomes = await Promise.all(open.map(({ raw, b }) => cancelBuild(deps, b.id, `superseded by ${newer.id}`, raw)));
    touched.push(...open.filter((_o, i) => outcomes[i] !== 'already-finished').map(({ b }) => b.id));
    if (ids.length < SUPERSEDE_PAGE) break;
    upper = Number(page[page.length - 1]);
  }
  return touched;
}

export interface Superseder {
  /** Supersede in the background; pushes to one branch arriving together are coalesced. */
  later(newer: BuildRecord): void;
  /** Resolves when no supersede is running (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * Runs supersedes after the webhook's answer. Per branch, one runs at a time; while it runs only
 * the newest waiting build is kept, and each run starts above what the previous one covered.
 */
export function createSuperseder(deps: TriggerDeps): Superseder {
  const branches = new Map<string, { running?: Promise<void>; pending?: BuildRecord; covered: number }>();
  async function drain(state: { running?: Promise<void>; pending?: BuildRecord; covered: number }): Promise<void> {
    while (state.pending) {
      const newer = state.pending;
      state.pending = undefined;
      try {
        await supersede(deps, newer, state.covered);
        state.covered = Math.max(state.covered, newer.number - 1);
      } catch (err) {
        deps.log?.error({ build: newer.id, err: err instanceof Error ? err.message : String(err) }, 'supersede failed');
      }
    }
    state.running = undefined;
  }
  return {
    later(newer) {
      if (newer.branch === undefined) return;
      const key = `${newer.pipeline}\u0000${newer.branch}`;
      if (!branches.has(key) && branches.size > 10_000) branches.clear(); // a bound, not a cache policy
      const state = branches.get(key) ?? { covered: 0 };
      branches.set(key, state);
      if (!state.pending || state.pending.number < newer.number) state.pending = newer;
      state.running ??= drain(state);
    },
    async idle() {
      await Promise.all([...branches.values()].map((s) => s.running));
    },
  };
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
