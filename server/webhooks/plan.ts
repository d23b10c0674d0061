// What a verified push asks of its pipelines, decided without touching anything: the builds to
// queue, the teardowns to queue, and why the rest is ignored. core/accept-delivery.ts then does it.
import type { NewBuild } from '../../core/build-store.ts';
import type { TeardownJob } from '../../core/queue.ts';
import { teardownOnBranchDelete } from '../../pipelines/profiles.ts';
import type { LoadedPipeline } from '../../pipelines/schema.ts';
import { compileFilters, decide, type Filters } from './match.ts';
import type { PushEvent } from './types.ts';

export interface Plan {
  builds: NewBuild[];
  teardowns: TeardownJob[];
  /** Why a pipeline does nothing (prefixed with its name when the push concerns several). */
  ignored: string[];
}

/** A push whose before and after are the same commit changes nothing: a forge's test delivery. */
export const TEST_DELIVERY = 'test delivery';

export function plan(pipelines: LoadedPipeline[], push: PushEvent, filters: (p: LoadedPipeline) => Filters = (p) => compileFilters(p.pipeline)): Plan {
  const out: Plan = { builds: [], teardowns: [], ignored: [] };
  const many = pipelines.length > 1;
  const ignore = (name: string, reason: string) => out.ignored.push(many ? `${name}: ${reason}` : reason);
  if (!push.deleted && push.before === push.after) {
    out.ignored.push(TEST_DELIVERY);
    return out;
  }
  for (const loaded of pipelines) {
    const { pipeline } = loaded;
    const name = pipeline.metadata.name;
    if (push.deleted) {
      if (push.branch === undefined) ignore(name, 'deleted tag');
      else if (!teardownOnBranchDelete(pipeline, push.branch)) ignore(name, 'teardownOnBranchDelete is off');
      else out.teardowns.push({ pipeline: name, branch: push.branch, reason: `branch ${push.branch} deleted`, deliveryId: push.deliveryId });
      continue;
    }
    const decision = decide(loaded, push, filters(loaded));
    if (!decision.build) {
      ignore(name, decision.reason);
      continue;
    }
    out.builds.push({
      pipeline: name,
      trigger: { type: 'push', deliveryId: push.deliveryId, forge: push.forge, ...(push.pusher ? { by: push.pusher } : {}) },
      repo: pipeline.source.repo,
      ...(push.branch !== undefined ? { branch: push.branch } : {}),
      ...(push.tag !== undefined ? { tag: push.tag } : {}),
      sha: push.after,
      ...(push.commit ? { commit: push.commit } : {}),
      before: push.before,
      ...(decision.pathsUndecided ? { pathsUndecided: true } : {}),
    });
  }
  return out;
}
