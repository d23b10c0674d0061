// Which pipelines a push concerns, and whether each should build: repository URL (normalised),
// branch globs and ignoreBranches, tag globs, and path filters when the payload lists every file.
import picomatch from 'picomatch';
import { normalizeRepoUrl } from '../../core/repo-url.ts';
import type { LoadedPipeline } from '../../pipelines/schema.ts';
import type { PushEvent } from './types.ts';

export interface PipelineIndex {
  byRepo(urls: string[]): LoadedPipeline[];
  /** The compiled on.push filters of a pipeline of this index. */
  filters(loaded: LoadedPipeline): Filters;
}

export function indexPipelines(pipelines: LoadedPipeline[]): PipelineIndex {
  const map = new Map<string, LoadedPipeline[]>();
  const filters = new Map<LoadedPipeline, Filters>(pipelines.map((p) => [p, compileFilters(p.pipeline)]));
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
    filters(loaded) {
      let f = filters.get(loaded);
      if (!f) filters.set(loaded, (f = compileFilters(loaded.pipeline)));
      return f;
    },
  };
}

export type Decision = { build: true; pathsUndecided: boolean } | { build: false; reason: string };

const GLOB = { dot: true };
type Matcher = (value: string) => boolean;
const NEVER: Matcher = () => false;
const compile = (globs: string[]): Matcher => (globs.length ? picomatch(globs, GLOB) : NEVER);

/** The pipeline's on.push globs, compiled once (compiling costs far more than matching). */
export interface Filters {
  branches: Matcher;
  ignoreBranches: Matcher;
  paths: Matcher | undefined;
  ignorePaths: Matcher;
  tags: Matcher | undefined;
}

export function compileFilters(pipeline: LoadedPipeline['pipeline']): Filters {
  const on = pipeline.on.push;
  return {
    branches: compile(on.branches),
    ignoreBranches: compile(on.ignoreBranches),
    paths: on.paths.length ? compile(on.paths) : undefined,
    ignorePaths: compile(on.ignorePaths),
    tags: on.tags.length ? compile(on.tags) : undefined,
  };
}

/** Should this (not deleted) push build the pipeline? */
export function decide(loaded: LoadedPipeline, push: PushEvent, filters: Filters = compileFilters(loaded.pipeline)): Decision {
  if (push.tag !== undefined) {
    if (!filters.tags) return { build: false, reason: 'tag pushes are not configured (on.push.tags)' };
    if (!filters.tags(push.tag)) return { build: false, reason: 'tag does not match on.push.tags' };
    return { build: true, pathsUndecided: false };
  }
  if (push.branch === undefined) return { build: false, reason: 'ref is neither a branch nor a tag' };
  if (!filters.branches(push.branch)) return { build: false, reason: 'branch does not match on.push.branches' };
  if (filters.ignoreBranches(push.branch)) return { build: false, reason: 'branch matches on.push.ignoreBranches' };
  const on = loaded.pipeline.on.push;
  if (on.paths.length === 0 && on.ignorePaths.length === 0) return { build: true, pathsUndecided: false };
  if (!push.filesComplete) return { build: true, pathsUndecided: true };
  const relevant = push.changedFiles.filter((f) => (filters.paths ? filters.paths(f) : true) && !filters.ignorePaths(f));
  if (relevant.length === 0) return { build: false, reason: 'no changed file matches on.push.paths' };
  return { build: true, pathsUndecided: false };
}
