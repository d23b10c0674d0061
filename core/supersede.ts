// Superseding: a new build of a branch cancels that branch's older unfinished builds (they end as
// cancelled, "superseded by <id>"). The server does it after the webhook's answer, coalescing pushes
// to one branch that arrive together.
import { cancelBuild } from './cancel-build.ts';
import { isFinal, type BuildRecord } from './records.ts';
import type { TriggerDeps } from './trigger.ts';

/** Builds read per round trip while superseding. */
const SUPERSEDE_PAGE = 100;

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
        deps.log?.error({ build: newer.id, err }, 'supersede failed');
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
