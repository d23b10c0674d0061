// A profile whose activation matches the branch overrides parts of the pipeline. The first
// matching profile wins.
import picomatch from 'picomatch';
import type { Pipeline, Profile } from './schema.ts';

export function activeProfile(pipeline: Pipeline, branch: string | undefined): Profile | undefined {
  if (branch === undefined) return undefined;
  return pipeline.profiles.find((p) => p.activation.some((a) => picomatch.isMatch(branch, a.branch, { dot: true })));
}

/** The pipeline as it applies to `branch`: the active profile's sections merged over the base. */
export function effectivePipeline(pipeline: Pipeline, branch: string | undefined): { pipeline: Pipeline; profile?: string } {
  const profile = activeProfile(pipeline, branch);
  if (!profile) return { pipeline };
  return {
    profile: profile.name,
    pipeline: {
      ...pipeline,
      build: { ...pipeline.build, ...profile.build },
      deploy: profile.deploy ?? pipeline.deploy,
      environment: { ...pipeline.environment, ...profile.environment },
    },
  };
}
