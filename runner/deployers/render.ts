// The objects of a kubectl deploy's sources: rawYaml globs read from the checkout (in sorted
// order), kustomize folders rendered by `kubectl kustomize` (kustomize built into kubectl).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { ConfigError } from '../../core/errors.ts';
import type { ManifestSource } from '../../pipelines/plan.ts';
import { resolveInside } from '../workspace-path.ts';
import type { Run } from './helm.ts';
import { parseManifests, type ManifestObject } from './manifests.ts';

const quiet = (): void => undefined;

/** The part of a glob before its first wildcard segment. */
function staticBase(glob: string): string {
  const parts = glob.split('/');
  const i = parts.findIndex((p) => /[*?[\]{}!]/.test(p));
  return (i < 0 ? parts.slice(0, -1) : parts.slice(0, i)).join('/');
}

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === '.git') continue;
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(root, child, out);
    else if (e.isFile()) out.push(child);
  }
}

/** Files of the checkout matching the glob, relative to it, sorted. */
export async function globFiles(root: string, glob: string): Promise<string[]> {
  resolveInside(root, staticBase(glob) || '.', 'manifests.rawYaml');
  const files: string[] = [];
  await walk(root, staticBase(glob), files);
  const match = picomatch(glob, { dot: false });
  return files.filter((f) => match(f)).sort();
}

export interface RenderInput {
  root: string;
  sources: readonly ManifestSource[];
  run: Run;
  kubectl: string;
}

export function kustomizeArgv(kubectl: string, dir: string, buildArgs: readonly string[]): string[] {
  return [kubectl, 'kustomize', ...buildArgs, dir];
}

export async function renderSources(input: RenderInput): Promise<ManifestObject[]> {
  const out: ManifestObject[] = [];
  for (const s of input.sources) {
    if (s.kind === 'rawYaml') {
      for (const glob of s.globs) {
        const files = await globFiles(input.root, glob);
        if (files.length === 0) throw new ConfigError(`manifests.rawYaml: ${glob} matches no file`);
        for (const f of files) out.push(...parseManifests(await readFile(path.join(input.root, f), 'utf8'), f));
      }
    } else {
      const dir = resolveInside(input.root, s.path, 'manifests.kustomize.paths');
      const res = await input.run(kustomizeArgv(input.kubectl, dir, s.buildArgs), { onLine: quiet });
      out.push(...parseManifests(res.stdout, `kustomize ${s.path}`));
    }
  }
  return out;
}
