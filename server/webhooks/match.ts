// Which pipelines a push concerns, and whether each should build: repository URL (normalised),
// branch globs and ignoreBranches, tag globs, and path filters when the payload lists every file.
import picomatch from 'picomatch';
import { normalizeRepoUrl } from '../../core/repo-url.ts';
import type { LoadedPipeline } from '../../pipelines/schema.ts';
import type { PushEvent } from './types.ts';

export interface PipelineIndex {
  byRepo(urls: string[]): LoadedPipeline[];
}

export function indexPipelines(pipelines: LoadedPipeline[]): PipelineIndex {
  const map = new Map<string, LoadedPipeline[]>();
  for (const p of pipelines) {
    const key = normalizeRepoUrl(p.pipeline.source.repo);
    map.set(key, [...(map.get(key) ?? []), p]);
  }
  // Payload URLs repeat from push to push: remember their normalised form (bounded).
  const normalised = new Map<string, string>();
  const normalise = (u: string): string => {
    let n = normalised.get(u);
    if (n === undefined) {
      if (normalised.size >= 1000) normalised.clear();
      n = normalizeRepoUrl(u);
      normalised.set(u, n);
    }
    return n;
  };
  return {
    byRepo(urls) {
      const found = new Set<LoadedPipeline>();
      for (const u of urls) for (const p of map.get(normalise(u)) ?? []) found.add(p);
      return [...found];
    },
  };
}

export type Decision = { build: true; pathsUndecided: boolean } | { build: false; reason: string };

const GLOB = { dot: true };
const anyMatch = (value: string, globs: string[]): boolean => globs.length > 0 && picomatch.isMatch(value, globs, GLOB);

/** Should this (not deleted) push build the pipeline? */
export function decide(loaded: LoadedPipeline, push: PushEvent): Decision {
  const on = loaded.pipeline.on.push;
  if (push.tag !== undefined) {
    if (on.tags.length === 0) return { build: false, reason: 'tag pushes are not configured (on.push.tags)' };
    if (!anyMatch(push.tag, on.tags)) return { build: false, reason: 'tag does not match on.push.tags' };
    return { build: true, pathsUndecided: false };
  }
  if (push.branch === undefined) return { build: false, reason: 'ref is neither a branch nor a tag' };
  if (!anyMatch(push.branch, on.branches)) return { build: false, reason: 'branch does not match on.push.branches' };
  if (anyMatch(push.branch, on.ignoreBranches)) return { build: false, reason: 'branch matches on.push.ignoreBranches' };
  const filtered = on.paths.length > 0 || on.ignorePaths.length > 0;
  if (!filtered) return { build: true, pathsUndecided: false };
  if (!push.filesComplete) return { build: true, pathsUndecided: true };
  const relevant = push.changedFiles.filter(
    (f) => (on.paths.length === 0 || anyMatch(f, on.paths)) && !anyMatch(f, on.ignorePaths),
  );
  if (relevant.length === 0) return { build: false, reason: 'no changed file matches on.push.paths' };
  return { build: true, pathsUndecided: false };
}
