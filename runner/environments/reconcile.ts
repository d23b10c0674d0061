// Reconcile: environments whose branch is gone from the repository, or whose pipeline is no longer
// loaded (while others are), are torn down, even when the delete webhook was missed or never sent. A repository that cannot be listed (or lists no
// branch at all) is left alone: an outage must never look like every branch was deleted.
import { EnvStore } from '../../core/env-store.ts';
import type { EnvironmentRecord } from '../../core/records.ts';
import { teardownOnBranchDelete } from '../../pipelines/profiles.ts';
import { needsKeeping } from './live.ts';
import type { SweepDeps } from './sweeper.ts';

/** What reconcile needs from runner/git.ts (its Git interface fits). */
export interface BranchLister {
  lsRemoteBranches(url: string, options?: { allowLocal?: boolean }): Promise<Array<{ branch: string }>>;
}

/** The sweeper's dependencies, and a way to list a repository's branches. */
export interface ReconcileDeps extends SweepDeps {
  git: BranchLister;
}

/** Tears down environments whose branch no longer exists; resolves with their ids. */
export async function reconcileEnvironments(deps: ReconcileDeps): Promise<string[]> {
  const now = (deps.now ?? (() => new Date()))();
  const byPipeline = new Map<string, EnvironmentRecord[]>();
  for (const rec of await new EnvStore(deps.redis, deps.keys).list()) {
    if (!needsKeeping(rec, now)) continue;
    byPipeline.set(rec.pipeline, [...(byPipeline.get(rec.pipeline) ?? []), rec]);
  }
  if (byPipeline.size === 0) return [];
  const pipelines = new Map((await deps.pipelines()).map((p) => [p.metadata.name, p]));
  const gone: string[] = [];
  const tearDown = async (pipeline: string, rec: { id: string; branch: string }, reason: string): Promise<void> => {
    try {
      await deps.teardown({ pipeline, branch: rec.branch, reason });
      gone.push(rec.id);
    } catch (err) {
      deps.log.warn({ env: rec.id, err }, 'reconcile teardown failed');
    }
  };
  for (const [name, envs] of byPipeline) {
    const pipeline = pipelines.get(name);
    if (!pipeline) {
      // No pipeline loaded at all looks like a loading outage: leave everything alone then.
      if (pipelines.size === 0) {
        deps.log.warn({ pipeline: name, environments: envs.length }, 'reconcile skipped: no pipeline loaded');
        continue;
      }
      for (const rec of envs) {
        deps.log.info({ env: rec.id, pipeline: name, branch: rec.branch }, 'pipeline no longer loaded, tearing environment down');
        await tearDown(name, rec, 'pipeline no longer loaded (found by reconcile)');
      }
      continue;
    }
    let branches: Set<string>;
    try {
      const heads = await deps.git.lsRemoteBranches(pipeline.source.repo, { allowLocal: pipeline.source.allowLocal });
      branches = new Set(heads.map((h) => h.branch));
    } catch (err) {
      deps.log.warn({ pipeline: name, err }, 'reconcile skipped: cannot list branches');
      continue;
    }
    if (branches.size === 0) {
      deps.log.warn({ pipeline: name }, 'reconcile skipped: repository lists no branches');
      continue;
    }
    for (const rec of envs) {
      if (branches.has(rec.branch)) continue;
      if (!teardownOnBranchDelete(pipeline, rec.branch)) {
        deps.log.info({ env: rec.id, branch: rec.branch }, 'branch gone, environment kept: teardownOnBranchDelete is false');
        continue;
      }
      deps.log.info({ env: rec.id, pipeline: name, branch: rec.branch }, 'branch gone, tearing environment down');
      await tearDown(name, rec, 'branch deleted (found by reconcile)');
    }
  }
  return gone;
}
