// The input digest of an artifact: one sha256 over everything that decides what its build
// produces, and nothing that does not (no absolute paths, times or owners), so every runner and
// every fresh checkout of the same inputs computes the same digest.
//
// In it: the files of the build context the builder would see (after .containerignore or
// .dockerignore, buildah's order; relative path, type, the owner's execute bit and content; not
// the checkout's `.git`), the
// Dockerfile's content, the build arguments as the builder gets them, the target, the builder and
// its settings, and the digests of the artifacts this one requires. Not in it: the base images a
// Dockerfile names by tag (a moved `FROM x:latest` is not seen; `build.cache: false` or
// `--no-cache` forces a build).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import dockerignoreModule from '@balena/dockerignore';

// The package is CommonJS with `module.exports = factory`, while its typings say `export default`:
// Node and esbuild hand the factory itself to a default import, TypeScript expects `.default`.
const dockerignore = typeof dockerignoreModule === 'function' ? dockerignoreModule : dockerignoreModule.default;

/** Bump when what goes into the digest changes: old cache tags then simply stop matching. */
export const INPUT_DIGEST_VERSION = 1;

export interface ArtifactInputs {
  /** Absolute path of the build context. */
  context: string;
  /** Absolute path of the Dockerfile (inside or outside the context). */
  dockerfile: string;
  buildArgs: Record<string, string>;
  target?: string;
  builder: string;
  /** Builder settings that change the image (platform, ...): any JSON. */
  builderSettings?: unknown;
  /** Images this artifact requires, with the digests built or reused for them in this build. */
  requires?: { image: string; digest: string }[];
}

/** JSON with object keys sorted, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The ignore files buildah reads from a context, in its order (the first one present is used). */
export const IGNORE_FILES = ['.containerignore', '.dockerignore'] as const;

/** The ignore file buildah reads from the context: .containerignore, else .dockerignore. */
export async function ignorePatterns(context: string): Promise<string[]> {
  for (const name of IGNORE_FILES) {
    const text = await readFile(path.join(context, name), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      return text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
    }
  }
  return [];
}

async function hashFile(hash: Hash, file: string): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Whether the builder leaves a path of the context (relative, '/') out, by the context's ignore file's patterns. */
export function contextIgnore(patterns: readonly string[]): (rel: string) => boolean {
  const ig = dockerignore().add([...patterns]);
  return (rel) => ig.ignores(rel);
}

/**
 * Relative paths (with '/') of the context's entries the builder sees, in a fixed order, with
 * directories wholly ignored (and no `!` pattern that could bring something back) not walked,
 * less the checkout's `.git` at the context's root (a context at the repository's root): in a
 * build's worktree a pointer to the runner's mirror naming the build (`gitdir: …/worktrees/<build>`),
 * under `slipway dev` git's own folder; neither is the repository's content, and neither is walked.
 */
export async function contextEntries(context: string): Promise<string[]> {
  const patterns = await ignorePatterns(context);
  const ignores = contextIgnore(patterns);
  const canReinclude = patterns.some((p) => p.startsWith('!'));
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(path.join(context, rel), { withFileTypes: true })).map((e) => e.name).sort(byteOrder);
    for (const name of entries) {
      if (!rel && name === '.git') continue;
      const child = rel ? `${rel}/${name}` : name;
      const ignored = ignores(child);
      const st = await lstat(path.join(context, child));
      if (st.isDirectory()) {
        if (ignored && !canReinclude) continue;
        if (!ignored) out.push(`${child}/`);
        await walk(child);
      } else if (!ignored) out.push(child);
    }
  };
  await walk('');
  return out;
}

/** The input digest (64 hex) of one artifact. */
export async function artifactInputDigest(inputs: ArtifactInputs): Promise<string> {
  const hash = createHash('sha256');
  const dockerfile = createHash('sha256');
  await hashFile(dockerfile, inputs.dockerfile);
  hash.update(
    canonicalJson({
      version: INPUT_DIGEST_VERSION,
      dockerfile: dockerfile.digest('hex'),
      buildArgs: inputs.buildArgs,
      target: inputs.target,
      builder: inputs.builder,
      builderSettings: inputs.builderSettings,
      requires: [...(inputs.requires ?? [])].sort((a, b) => byteOrder(a.image, b.image)),
    }),
  );
  hash.update('\n');
  for (const rel of await contextEntries(inputs.context)) {
    const abs = path.join(inputs.context, rel);
    if (rel.endsWith('/')) {
      hash.update(`d ${rel}\0`);
      continue;
    }
    const st = await lstat(abs);
    if (st.isSymbolicLink()) {
      hash.update(`l ${rel}\0${await readlink(abs)}\0`);
    } else if (st.isFile()) {
      hash.update(`f ${rel}\0${st.mode & 0o100 ? 'x' : '-'}${st.size}\0`);
      await hashFile(hash, abs);
      hash.update('\0');
    }
    // sockets, fifos and devices do not go into an image's context
  }
  return hash.digest('hex');
}
