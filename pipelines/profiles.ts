// A profile whose activation matches the branch overrides parts of the pipeline. The first
// matching profile wins. An override changes only the fields it names.
import picomatch from 'picomatch';
import { HelmDeploy, type Deploy, type DeployOverride, type Pipeline, type Profile } from './schema.ts';

export function activeProfile(pipeline: Pipeline, branch: string | undefined): Profile | undefined {
  if (branch === undefined) return undefined;
  return pipeline.profiles.find((p) => p.activation.some((a) => picomatch.isMatch(branch, a.branch, { dot: true })));
}

/** The fields the override names (a field left out is absent, never `undefined`). */
function named<T extends object>(override: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(override ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function mergeDeploy(base: Deploy, override: DeployOverride | undefined): Deploy {
  if (!override?.helm) return base;
  // Parsed again so that a profile adding helm to a pipeline without it gets helm's defaults; the
  // loader refuses a profile that adds helm without releases.
  const helm = HelmDeploy.safeParse({ ...base.helm, ...named(override.helm) });
  return helm.success ? { ...base, helm: helm.data } : base;
}

/** The pipeline as it applies to `branch`: the active profile's fields merged over the base. */
export function effectivePipeline(pipeline: Pipeline, branch: string | undefined): { pipeline: Pipeline; profile?: string } {
  const profile = activeProfile(pipeline, branch);
  if (!profile) return { pipeline };
  return {
    profile: profile.name,
    pipeline: {
      ...pipeline,
      build: { ...pipeline.build, ...named(profile.build) },
      deploy: mergeDeploy(pipeline.deploy, profile.deploy),
      environment: { ...pipeline.environment, ...named(profile.environment) },
    },
  };
}

/** Whether deleting `branch` tears its environment down: the branch's profile decides. */
export function teardownOnBranchDelete(pipeline: Pipeline, branch: string): boolean {
  return effectivePipeline(pipeline, branch).pipeline.environment.teardownOnBranchDelete;
}
