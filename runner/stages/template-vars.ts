// The template variables of a build at some point of it: what is known so far (the commit once
// checked out, the images once built, the namespace once the deploy chose it).
import type { ImageRecord } from '../../core/records.ts';
import type { TemplateVars } from '../../pipelines/template.ts';
import type { BuildScope } from './types.ts';

export interface KnownSoFar {
  sha: string;
  images?: ImageRecord[];
  namespace?: string;
}

export function templateVars(scope: BuildScope, known: KnownSoFar): TemplateVars {
  const images: NonNullable<TemplateVars['Images']> = {};
  for (const img of known.images ?? []) {
    const vars = { Repo: img.name, Tag: img.tag, Digest: img.digest, Ref: img.ref };
    for (const name of new Set([img.name, scope.imageNames?.get(img.name) ?? img.name])) {
      images[name] = vars;
      images[name.split('/').pop()!] = vars;
    }
  }
  const { build } = scope;
  return {
    BuildNumber: String(build.number),
    ...(build.branch !== undefined ? { Branch: build.branch } : {}),
    ...(build.tag !== undefined ? { Tag: build.tag } : {}),
    ...(known.sha ? { Sha: known.sha, ShortSha: known.sha.slice(0, 7) } : {}),
    Pipeline: scope.pipeline.metadata.name,
    ...(known.namespace !== undefined ? { Namespace: known.namespace } : {}),
    Images: images,
    Params: { ...build.params },
  };
}

/** `bulletin-board` → `BULLETIN_BOARD`: an image's short name as part of an environment variable name. */
function envName(image: string): string {
  return image.split('/').pop()!.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/**
 * What a step knows of its build, as Jenkins' steps do: BUILD_NUMBER, BUILD_ID, GIT_COMMIT,
 * GIT_BRANCH (GIT_TAG for a tag), IMAGE_<NAME> (each built image's name:tag@digest, by its short
 * name upper-cased), and a manual trigger's params under their own names (those that are valid
 * variable names and not one of these or PATH/HOME).
 */
export function buildEnv(scope: BuildScope, known: KnownSoFar): Record<string, string> {
  const { build } = scope;
  const own: Record<string, string> = {
    BUILD_NUMBER: String(build.number),
    BUILD_ID: build.id,
    GIT_COMMIT: known.sha,
    ...(build.branch !== undefined ? { GIT_BRANCH: build.branch } : {}),
    ...(build.tag !== undefined ? { GIT_TAG: build.tag } : {}),
  };
  for (const img of known.images ?? []) own[`IMAGE_${envName(scope.imageNames?.get(img.name) ?? img.name)}`] = img.ref;
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(build.params ?? {})) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !(name in own) && name !== 'PATH' && name !== 'HOME') params[name] = value;
  }
  return { ...params, ...own };
}
