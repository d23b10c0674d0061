// Retention: build records and their logs are kept by count and by age, per pipeline: the newest
// `keepBuilds` and anything younger than `keepDays` stay; older finished builds go (record, log,
// commit-status hash, and their places in the listings). Redis then holds at most
// max(keepBuilds, builds of the last keepDays) builds per pipeline, each log capped by LOG_MAX_LINES.
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import type { Logger } from './logger.ts';
import { isFinal, type BuildRecord } from './records.ts';

export interface RetentionPolicy {
  keepBuilds: number;
  keepDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepBuilds: 1000, keepDays: 30 };

export interface RetentionDeps {
  redis: Redis;
  keys: Keys;
  log: Logger;
  /** The policy of a pipeline (its `retention`), the default for pipelines no longer loaded. */
  policy: (pipeline: string) => RetentionPolicy;
  now?: () => number;
}

/** Records read per round trip. */
const PAGE = 200;

/** Deletes the builds past every pipeline's policy; resolves with their ids. */
export async function pruneBuilds(deps: RetentionDeps): Promise<string[]> {
  const now = (deps.now ?? Date.now)();
  const removed: string[] = [];
  for (const pipeline of await deps.redis.smembers(deps.keys.pipelines())) {
    const { keepBuilds, keepDays } = deps.policy(pipeline);
    const cutoff = now - keepDays * 86_400_000;
    // everything past the newest keepBuilds, oldest first
    for (let start = keepBuilds; ; start += PAGE) {
      const ids = await deps.redis.zrevrange(deps.keys.builds(pipeline), start, start + PAGE - 1);
      if (ids.length === 0) break;
      const raws = await deps.redis.mget(ids.map((id) => deps.keys.build(id)));
      const doomed = raws
        .map((raw, i) => ({ id: ids[i]!, rec: raw ? (JSON.parse(raw) as BuildRecord) : undefined }))
        .filter(({ rec }) => !rec || (isFinal(rec.status) && Date.parse(rec.finishedAt ?? rec.createdAt) < cutoff));
      if (doomed.length === 0) continue;
      const tx = deps.redis.multi();
      for (const { id, rec } of doomed) {
        tx.del(deps.keys.build(id), deps.keys.log(id), deps.keys.commitStatus(id));
        tx.zrem(deps.keys.builds(pipeline), id);
        if (rec?.branch !== undefined) tx.zrem(deps.keys.branchBuilds(pipeline, rec.branch), id);
      }
      await tx.exec();
      removed.push(...doomed.map((d) => d.id));
      start -= doomed.length; // the listing moved up
    }
  }
  if (removed.length) deps.log.info({ builds: removed.length }, 'old builds removed (retention)');
  return removed;
}
