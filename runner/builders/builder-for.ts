// The builder named by the pipeline's build.builder.
import type { Build } from '../../pipelines/schema.ts';
import { buildah } from './buildah.ts';
import { buildkit } from './buildkit.ts';
import { docker } from './docker.ts';
import { kaniko } from './kaniko.ts';
import type { Builder } from './types.ts';

const BUILDERS: Record<Build['builder'], Builder> = { buildah, docker, buildkit, kaniko };

export function builderFor(name: Build['builder']): Builder {
  return BUILDERS[name];
}
