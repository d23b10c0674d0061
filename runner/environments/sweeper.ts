// The sweeper: environments past their expiry are torn down. An environment whose (profile's)
// ttl is 0 has no expiry and is never swept, even if an older record still carries one.
import type { Redis } from 'ioredis';
import { EnvStore } from '../../core/env-store.ts';
import type { Keys } from '../../core/keys.ts';
import type { Logger } from '../../core/logger.ts';
import type { Pipeline } from '../../pipelines/schema.ts';
import { effectivePipeline } from '../../pipelines/profiles.ts';
import { needsKeeping } from './live.ts';
import type { TeardownRequest } from './teardown.ts';

export interface SweepDeps {
  redis: Redis;
  keys: Keys;
  log: Logger;
  /** The pipelines as loaded now. */
  pipelines: () => Pipeline[] | Promise<Pipeline[]>;
  /** Tears one down, or queues its teardown. */
  teardown: (req: TeardownRequest) => Promise<unknown>;
  now?: () => Date;
}

/** Tears down every expired environment; resolves with the ids it asked to tear down. */
export async function sweepExpired(deps: SweepDeps): Promise<string[]> {
  const now = (deps.now ?? (() => new Date()))();
  const pipelines = new Map((await deps.pipelines()).map((p) => [p.metadata.name, p]));
  const swept: string[] = [];
  for (const rec of await new EnvStore(deps.redis, deps.keys).list()) {
    if (!needsKeeping(rec, now) || !rec.expiresAt || Date.parse(rec.expiresAt) > now.getTime()) continue;
    const pipeline = pipelines.get(rec.pipeline);
    if (pipeline && effectivePipeline(pipeline, rec.branch).pipeline.environment.ttl === '0') continue;
    deps.log.info({ env: rec.id, pipeline: rec.pipeline, branch: rec.branch, expiresAt: rec.expiresAt }, 'environment expired');
    try {
      await deps.teardown({ pipeline: rec.pipeline, branch: rec.branch, reason: `expired at ${rec.expiresAt}`, onlyIfExpired: true });
      swept.push(rec.id);
    } catch (err) {
      deps.log.warn({ env: rec.id, err }, 'sweep teardown failed');
    }
  }
  return swept;
}
