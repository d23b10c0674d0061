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
    images[img.name] = vars;
    images[img.name.split('/').pop()!] = vars;
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
  };
}
