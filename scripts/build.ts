// npm run build: the CLI bundled by esbuild into dist/cli/bin.js, with one chunk per command
// module it loads on demand (dist/cli/chunks/). A process then reads a few files instead of
// resolving and loading some hundreds of modules one by one: `slipway run` prints its first line
// ~100 ms sooner. Packages that are large, load files of their own at run time, or are only
// needed by the server and runner stay in node_modules and are imported from there.
// @kubernetes/client-node is bundled, but only what runner/environments/kube-api.ts names (~7 MB):
// bundled it loads in ~0.3 s of CPU instead of ~0.8 s from its thousand files in node_modules.
// Type checking is `npm run typecheck`; this only transpiles. `node --import tsx scripts/build.ts
// DIR` writes to DIR instead of dist/ (inside the checkout, so node_modules is found from there).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Not bundled: imported from node_modules at run time. */
export const EXTERNAL = [
  'bullmq', // the queue: server and runner only
  'express',
  'prom-client',
  '@bull-board/api', // the dashboard's queue view: loads its UI files at run time
  '@bull-board/express',
  'ansi_up', // served to the browser as a file, never bundled
];

const outdir = path.resolve(ROOT, process.argv[2] ?? 'dist');
if (path.relative(ROOT, outdir).startsWith('..')) throw new Error(`${outdir} is outside ${ROOT}: node_modules would not be found from there`);
await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  // helm runs the post-renderer as its own process (runner/deployers/post-renderer.ts finds it)
  entryPoints: { 'cli/bin': 'cli/bin.ts', 'runner/post-render': 'runner/deployers/post-render.ts' },
  outdir,
  chunkNames: 'cli/chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: EXTERNAL,
  // CommonJS packages inside an ES module bundle still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __slipwayRequire } from 'node:module'; const require = __slipwayRequire(import.meta.url);" },
  logLevel: 'warning',
});
