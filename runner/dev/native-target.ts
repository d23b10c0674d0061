// `slipway dev --pipeline FILE` on a native pipeline: its plan (planFromPipeline: its build,
// test and deploy sections, on the default repo), run by plan-target.ts like a skaffold.yaml's.
// Its environment's imagePullSecret is created in the dev namespace.
import { withDefaultRepo } from '../../pipelines/default-repo.ts';
import { planFromPipeline } from '../../pipelines/plan.ts';
import type { Pipeline } from '../../pipelines/schema.ts';
import type { DevTarget } from './dev-loop.ts';
import { planTarget } from './plan-target.ts';

export function nativeTarget(written: Pipeline, defaultRepo?: string): DevTarget {
  const pipeline = withDefaultRepo(written, defaultRepo);
  const plan = planFromPipeline(pipeline);
  return planTarget({
    pipeline,
    plan: () => Promise.resolve({ plan, written: new Map<string, string>() }),
    ...(pipeline.environment.imagePullSecret ? { pullSecret: pipeline.environment.imagePullSecret } : {}),
  });
}
