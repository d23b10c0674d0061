// Build: every artifact built and pushed by the pipeline's builder, up to build.concurrency at
// once, tagged by the tagPolicy; the pushed digest is recorded. A failing build is not retried;
// a failing push is (transient: the registry), with backoff, a bounded number of times. An
// artifact whose inputs are unchanged is reused from the registry instead (runner/build-cache/),
// and no tag is overwritten.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImageRecord } from '../../core/records.ts';
import type { Artifact } from '../../pipelines/schema.ts';
import { cachedBuild } from '../build-cache/cached-build.ts';
import { artifactInputDigest } from '../build-cache/input-digest.ts';
import { builderFor } from '../builders/builder-for.ts';
import { cacheRepoOf, isLoopbackRegistry, type Builder, type BuildInput } from '../builders/types.ts';
import { createRegistryClient, type RegistryClient } from '../registry/registry-client.ts';
import { builderAccessFromEnv, ensureStorage } from '../builder-access.ts';
import type { ExecOptions, ExecResult } from '../exec.ts';
import { bubblewrapSandbox } from '../sandbox.ts';
import { retry } from '../retry.ts';
import { durationMs } from '../../pipelines/duration.ts';
import { computeTag } from '../tag-policy.ts';
import { resolveInside } from '../workspace-path.ts';
import { runSandboxed } from './sandboxed.ts';
import { templateVars } from './template-vars.ts';
import type { BuildScope, BuildStageInput, BuildStageResult, Checkout } from './types.ts';

/** Runs `fn` over `items`, at most `limit` at once; the first failure stops new starts. */
export async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const err = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (err) throw err.reason;
  return results;
}

/** One artifact, ready to build: its builder's input and the tag it is pushed as. */
export interface ArtifactPlan {
  artifact: Artifact;
  tag: string;
  input: BuildInput;
}

/** Where an artifact's context and Dockerfile are in the checkout, and the reference it gets. */
export async function planArtifact(scope: BuildScope, checkout: Checkout, artifact: Artifact, digestFile: string): Promise<ArtifactPlan> {
  const context = resolveInside(checkout.workspace, artifact.context, 'artifact context');
  const dockerfile = resolveInside(context, artifact.docker.dockerfile, 'dockerfile');
  const vars = templateVars(scope, { sha: checkout.sha });
  const tag = await computeTag({ policy: scope.pipeline.build.tagPolicy, vars, sha: checkout.sha, context });
  return {
    artifact,
    tag,
    input: {
      context,
      dockerfile,
      ref: `${artifact.image}:${tag}`,
      buildArgs: artifact.docker.buildArgs,
      ...(artifact.docker.target ? { target: artifact.docker.target } : {}),
      digestFile,
      insecureRegistry: isLoopbackRegistry(artifact.image),
    },
  };
}

/** Runs the push, retrying a failure (transient: a registry hiccup) with backoff. */
async function push(scope: BuildScope, argv: string[], ref: string, timeout: ExecOptions): Promise<string> {
  const pushed = await retry(() => scope.run(argv, { ...timeout, transient: true }), {
    attempts: scope.deps.pushAttempts ?? 3,
    backoffMs: scope.deps.pushBackoffMs ?? 1000,
    signal: scope.signal,
    onRetry: (_err, attempt, attempts) => scope.line(`push of ${ref} failed (attempt ${attempt} of ${attempts}), retrying`),
  });
  return pushed.stdout + pushed.stderr;
}

/**
 * Runs an artifact's build. buildah's `bud` runs the Dockerfile's RUN instructions as root on this
 * machine, so it runs in the sandbox's builder mode (runner/sandbox.ts), with the build context
 * bound: a RUN step sees the sandbox's root, not the runner's files or processes. Unsandboxed
 * (SLIPWAY_UNSANDBOXED_STEPS=1) it runs as the runner's child, as do the other builders (their
 * daemons run the build) and every push.
 */
export async function runBuild(scope: BuildScope, builder: Builder, input: BuildInput, timeoutMs?: number): Promise<ExecResult> {
  const argv = builder.buildArgv(input);
  const sandbox = scope.deps.sandbox ?? bubblewrapSandbox();
  if (builder.name !== 'buildah' || sandbox.kind === 'none') return scope.run(argv, timeoutMs === undefined ? {} : { timeoutMs });
  const access = builderAccessFromEnv(scope.deps.env ?? process.env);
  await ensureStorage(access);
  return runSandboxed(scope, { argv, workspace: input.context, cwd: input.context, env: {}, builder: access }, timeoutMs);
}

/** Builds and pushes one artifact with `builder`; resolves with the image as pushed (its digest). */
export async function buildArtifact(scope: BuildScope, builder: Builder, plan: ArtifactPlan): Promise<ImageRecord> {
  const { input, tag, artifact } = plan;
  const timeoutMs = durationMs(scope.pipeline.build.timeout);
  const timeout: ExecOptions = timeoutMs === undefined ? {} : { timeoutMs };

  scope.line(`building ${input.ref}`);
  const built = await runBuild(scope, builder, input, timeoutMs);
  const pushArgv = builder.pushArgv(input);
  const output = pushArgv ? await push(scope, pushArgv, input.ref, timeout) : built.stdout + built.stderr;
  const digest = await builder.digest(input, output);
  scope.line(`pushed ${input.ref}@${digest}`);
  return { name: artifact.image, ref: `${input.ref}@${digest}`, tag, digest };
}

/**
 * Build args as the input digest sees them: a required artifact's reference passed in one
 * (`image:<this build's tag>@digest`, skaffold's alias) counts by its digest, not by the build's tag,
 * which every build changes.
 */
function withoutBuildTags(args: Record<string, string>, requires: { image: string; digest: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(args)) {
    const req = requires.find((r) => r.digest && v.startsWith(`${r.image}:`) && v.endsWith(`@${r.digest}`));
    out[k] = req ? `${req.image}@${req.digest}` : v;
  }
  return out;
}

/** The registry API the build cache asks (the runner's, or one with its credentials). */
export function registryFor(scope: BuildScope): RegistryClient {
  return scope.deps.registry ?? createRegistryClient({ env: scope.deps.env ?? process.env });
}

/**
 * The image of these inputs from the registry, or built (with the layer cache) and pushed; with
 * --no-cache or build.cache: false always built from scratch. The tag is never moved.
 */
export async function buildOrReuse(
  scope: BuildScope,
  builder: Builder,
  plan: ArtifactPlan,
  registry: RegistryClient,
  /** The artifacts this one requires, as built or reused in this build: a change to one rebuilds this. */
  requires: { image: string; digest: string }[] = [],
): Promise<ImageRecord> {
  const { artifact, input, tag } = plan;
  const useCache = scope.pipeline.build.cache && !scope.deps.noCache;
  const inputDigest = useCache
    ? await artifactInputDigest({
        context: input.context,
        dockerfile: input.dockerfile,
        buildArgs: withoutBuildTags(input.buildArgs, requires),
        target: input.target,
        builder: builder.name,
        ...(input.platform ? { builderSettings: { platform: input.platform } } : {}),
        requires,
      })
    : undefined;
  const keptKey = inputDigest && scope.deps.keptImages ? `${artifact.image}@${inputDigest}` : undefined;
  const kept = keptKey ? scope.deps.keptImages?.get(keptKey) : undefined;
  if (kept) {
    scope.line(`unchanged, kept ${kept.ref}`);
    return kept;
  }
  const { digest } = await cachedBuild({
    registry,
    image: artifact.image,
    tag,
    inputDigest,
    signal: scope.signal,
    line: scope.line,
    build: async ({ registryAnswered }) => {
      const layers = useCache && registryAnswered ? { ...plan, input: { ...input, cacheRepo: cacheRepoOf(artifact.image) } } : plan;
      return (await buildArtifact(scope, builder, layers)).digest;
    },
  });
  const image = { name: artifact.image, ref: `${input.ref}@${digest}`, tag, digest };
  if (keptKey) scope.deps.keptImages?.set(keptKey, image);
  return image;
}

export async function buildStage(scope: BuildScope, { checkout }: BuildStageInput): Promise<BuildStageResult> {
  const { artifacts, builder, concurrency } = scope.pipeline.build;
  if (artifacts.length === 0) return { images: [] };
  const scratch = await mkdtemp(path.join(tmpdir(), 'slipway-digest-'));
  const registry = registryFor(scope);
  try {
    const images = await inParallel(artifacts.map((a, i) => ({ a, i })), concurrency, async ({ a, i }) => {
      const plan = await planArtifact(scope, checkout, a, path.join(scratch, `digest-${i}`));
      return buildOrReuse(scope, builderFor(builder), plan, registry);
    });
    await scope.update((r) => ({ ...r, images }));
    return { images };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
