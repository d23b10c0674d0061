// Polling for missed pushes: a webhook that never arrived (forge down, network, a 5xx) must not
// leave a branch unbuilt. Every pipeline's branch heads are listed (`git ls-remote`) each
// `on.push.poll`; a head that matches the branch filters and that no build of that branch has seen
// is queued as a build with trigger `poll`, through the webhooks' own path (acceptDelivery: one
// claim per pipeline, branch and commit, so two servers polling, or a webhook arriving late for the
// same push, make one build).
import type { NewBuild } from './build-store.ts';
import type { AcceptedDelivery, PlannedDelivery } from './accept-delivery.ts';
import type { Keys } from './keys.ts';
import type { Logger } from './logger.ts';
import { startPeriodic } from './periodic.ts';
import type { BuildRecord } from './records.ts';
import type { Redis } from 'ioredis';
import type { LoadedPipeline } from '../pipelines/schema.ts';

/** What the poller needs from runner/git.ts (its Git interface fits; the composition passes it in). */
export interface HeadLister {
  lsRemoteBranches(url: string, options?: { allowLocal?: boolean }): Promise<Array<{ branch: string; sha: string }>>;
}

export interface PollDeps {
  redis: Redis;
  keys: Keys;
  git: HeadLister;
  pipelines: () => LoadedPipeline[];
  /** Whether a push to `branch` would build the pipeline (its on.push branch filters). */
  wantsBranch: (loaded: LoadedPipeline, branch: string) => boolean;
  /** Queues a planned delivery, as the webhook intake does. */
  accept: (planned: PlannedDelivery) => Promise<AcceptedDelivery>;
  log: Logger;
}

/** Builds of a branch looked at for its head's commit. */
const SEEN_DEPTH = 50;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** on.push.poll in milliseconds; undefined when off ('0'). */
export function pollIntervalMs(poll: string): number | undefined {
  let total = 0;
  for (const m of poll.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total > 0 ? total : undefined;
}

/** The newest builds of the branch (newest first). */
async function branchBuilds(deps: PollDeps, pipeline: string, branch: string): Promise<BuildRecord[]> {
  const ids = await deps.redis.zrevrange(deps.keys.branchBuilds(pipeline, branch), 0, SEEN_DEPTH - 1);
  if (ids.length === 0) return [];
  const raws = await deps.redis.mget(ids.map((id) => deps.keys.build(id)));
  return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as BuildRecord);
}

/** Polls one pipeline once; resolves with the builds it queued. */
export async function pollPipeline(deps: PollDeps, loaded: LoadedPipeline): Promise<BuildRecord[]> {
  const { pipeline } = loaded;
  const name = pipeline.metadata.name;
  const heads = await deps.git.lsRemoteBranches(pipeline.source.repo, { allowLocal: pipeline.source.allowLocal });
  const queued: BuildRecord[] = [];
  const hasPathFilters = pipeline.on.push.paths.length > 0 || pipeline.on.push.ignorePaths.length > 0;
  for (const head of heads) {
    if (!deps.wantsBranch(loaded, head.branch)) continue;
    const builds = await branchBuilds(deps, name, head.branch);
    if (builds.some((b) => b.sha === head.sha)) continue;
    const before = builds[0]?.sha;
    const build: NewBuild = {
      pipeline: name,
      trigger: { type: 'poll' },
      repo: pipeline.source.repo,
      branch: head.branch,
      sha: head.sha,
      ...(before ? { before } : {}),
      // no file list: the runner diffs against the branch's last build (or builds, without one)
      ...(hasPathFilters ? { pathsUndecided: true } : {}),
    };
    const outcome = await deps.accept({ forge: 'poll', deliveryId: `${name}:${head.branch}:${head.sha}`, builds: [build], teardowns: [] });
    for (const b of outcome.builds) {
      deps.log.info({ pipeline: name, branch: head.branch, sha: head.sha, build: b.build.id }, 'missed push found by polling: build queued');
      queued.push(b.build);
    }
  }
  return queued;
}

export interface Poller {
  /** Polls every pipeline that is due (all of them with `force`); one round at a time. */
  runOnce(force?: boolean): Promise<BuildRecord[]>;
  close(): Promise<void>;
}

/**
 * Polls each pipeline at its own on.push.poll: once at start, then whenever it is due (checked
 * every `tickMs`, default 1 s). A repository that cannot be listed is logged and tried next time.
 */
export function startPoller(deps: PollDeps, options: { tickMs?: number } = {}): Poller {
  const last = new Map<string, number>();
  const pollDue = async (force: boolean): Promise<BuildRecord[]> => {
    const out: BuildRecord[] = [];
    for (const loaded of deps.pipelines()) {
      const name = loaded.pipeline.metadata.name;
      const every = pollIntervalMs(loaded.pipeline.on.push.poll);
      if (every === undefined) continue;
      const now = Date.now();
      if (!force && now - (last.get(name) ?? -Infinity) < every) continue;
      last.set(name, now);
      try {
        out.push(...(await pollPipeline(deps, loaded)));
      } catch (err) {
        deps.log.warn({ pipeline: name, err }, 'poll failed: cannot list or queue branch heads');
      }
    }
    return out;
  };
  return startPeriodic(pollDue, { intervalMs: options.tickMs ?? 1000, onError: (err) => deps.log.warn({ err }, 'poll round failed') });
}
