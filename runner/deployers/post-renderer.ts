// How helm starts post-render.ts: this very node, with the TypeScript loader when Slipway runs
// from source (tsx), or the bundled dist/runner/post-render.js (npm run build).
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuiltImage } from './manifests.ts';

/** node's arguments that run the post-renderer. */
function nodeArgs(): string[] {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return ['--import', import.meta.resolve('tsx'), path.join(path.dirname(here), 'post-render.ts')];
  // bundled: this module is a chunk under dist/cli/chunks/ (or dist/cli/bin.js itself)
  for (let dir = path.dirname(here); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'runner', 'post-render.js');
    if (existsSync(candidate)) return [candidate];
  }
  throw new Error('the helm post-renderer (runner/post-render.js) is missing from this build');
}

/** helm flags running the post-renderer with `config` (written to `configFile`). */
export async function postRendererFlags(configFile: string, config: { images: readonly BuiltImage[]; namespace: string }): Promise<string[]> {
  await writeFile(configFile, JSON.stringify(config));
  return ['--post-renderer', process.execPath, ...[...nodeArgs(), configFile].flatMap((a) => ['--post-renderer-args', a])];
}
