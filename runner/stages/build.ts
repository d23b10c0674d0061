// Build: a plan's artifacts (pipelines/plan.ts, of a native pipeline or a skaffold.yaml), required
// ones first and independent ones up to build.concurrency at once, tagged by the plan's tag
// policy; the pushed digest is recorded. Dockerfile artifacts go through the plan's builder CLI
// (buildah, docker, buildkit, kaniko), custom ones run their command as Skaffold does, in the
// runner's sandbox. A failing build is not retried; a failing push is (transient: the registry),
// with backoff, a bounded number of times. An artifact whose inputs are unchanged is reused from
// the registry instead (runner/build-cache/), and no tag is overwritten.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import type { ImageRecord } from '../../core/records.ts';
import type { GitVariant, PlanBuilder, PlanTagPolicy } from '../../pipelines/plan.ts';
import { renderPlanTemplate } from '../../pipelines/plan-template.ts';
import { cachedBuild } from '../build-cache/cached-build.ts';
import { artifactInputDigest } from '../build-cache/input-digest.ts';
import { builderFor } from '../builders/builder-for.ts';
import { buildWithRequires } from '../builders/requires.ts';
import { cacheRepoOf, isLoopbackRegistry, type Builder, type BuildInput } from '../builders/types.ts';
import { createRegistryClient, type RegistryClient } from '../registry/registry-client.ts';
import { builderAccessFromEnv, ensureStorage } from '../builder-access.ts';
import type { ExecOptions, ExecResult } from '../exec.ts';
import { bubblewrapSandbox } from '../sandbox.ts';
import { retry } from '../retry.ts';
import { durationMs } from '../../pipelines/duration.ts';
import { computePlanTag } from '../plan-tags.ts';
import { resolveInside } from '../workspace-path.ts';
import { planVars, type CheckedArtifact, type CheckedPlan } from './plan.ts';
import { runSandboxed } from './sandboxed.ts';
import { buildEnv } from './template-vars.ts';
import type { BuildScope, BuildStageInput, BuildStageResult, Checkout } from './types.ts';

/** One artifact, ready to build: the image, the tag it is pushed as, and its builder's input. */
export interface ArtifactBuild {
  image: string;
  tag: string;
  input: BuildInput;
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
export async function buildArtifact(scope: BuildScope, builder: Builder, a: ArtifactBuild, timeoutMs: number | undefined): Promise<ImageRecord> {
  const { input, tag, image } = a;
  const timeout: ExecOptions = timeoutMs === undefined ? {} : { timeoutMs };

  scope.line(`building ${input.ref}`);
  const built = await runBuild(scope, builder, input, timeoutMs);
  const pushArgv = builder.pushArgv(input);
  const output = pushArgv ? await push(scope, pushArgv, input.ref, timeout) : built.stdout + built.stderr;
  const digest = await builder.digest(input, output);
  scope.line(`pushed ${input.ref}@${digest}`);
  return { name: image, ref: `${input.ref}@${digest}`, tag, digest };
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

export interface ReuseOptions {
  registry: RegistryClient;
  /** The plan's build.cache: false always builds from scratch (as --no-cache does). */
  cache: boolean;
  /** The plan's tagPolicy (the immutable-tag error's hint depends on it). */
  tagPolicy: PlanTagPolicy;
  timeoutMs: number | undefined;
  /** The artifacts this one requires, as built or reused in this build: a change to one rebuilds this. */
  requires: { image: string; digest: string }[];
}

/**
 * The image of these inputs from the registry, or built (with the layer cache) and pushed; with
 * --no-cache or build.cache: false always built from scratch. The tag is never moved.
 */
export async function buildOrReuse(scope: BuildScope, builder: Builder, a: ArtifactBuild, o: ReuseOptions): Promise<ImageRecord> {
  const { image, input, tag } = a;
  const useCache = o.cache && !scope.deps.noCache;
  const inputDigest = useCache
    ? await artifactInputDigest({
        context: input.context,
        dockerfile: input.dockerfile,
        buildArgs: withoutBuildTags(input.buildArgs, o.requires),
        target: input.target,
        builder: builder.name,
        ...(input.platform ? { builderSettings: { platform: input.platform } } : {}),
        requires: o.requires,
      })
    : undefined;
  const keptKey = inputDigest && scope.deps.keptImages ? `${image}@${inputDigest}` : undefined;
  const kept = keptKey ? scope.deps.keptImages?.get(keptKey) : undefined;
  if (kept) {
    scope.line(`unchanged, kept ${kept.ref}`);
    return kept;
  }
  const { digest } = await cachedBuild({
    registry: o.registry,
    image,
    tag,
    tagPolicy: o.tagPolicy,
    inputDigest,
    signal: scope.signal,
    line: scope.line,
    build: async ({ registryAnswered }) => {
      const layers = useCache && registryAnswered ? { ...a, input: { ...input, cacheRepo: cacheRepoOf(image) } } : a;
      return (await buildArtifact(scope, builder, layers, o.timeoutMs)).digest;
    },
  });
  const built = { name: image, ref: `${input.ref}@${digest}`, tag, digest };
  if (keptKey) scope.deps.keptImages?.set(keptKey, built);
  return built;
}

async function gitFact(scope: BuildScope, checkout: Checkout, context: string, variant: GitVariant): Promise<string> {
  const git = (...args: string[]) => scope.run(['git', '-C', checkout.workspace, ...args], { onLine: () => undefined }).then((r) => r.stdout.trim());
  const rel = path.relative(checkout.workspace, context).split(path.sep).join('/');
  switch (variant) {
    case 'Tags':
      return git('describe', '--tags', '--always');
    case 'CommitSha':
      return checkout.sha;
    case 'AbbrevCommitSha':
      return checkout.sha.slice(0, 7);
    case 'TreeSha':
      return git('rev-parse', `HEAD:${rel}`);
    case 'AbbrevTreeSha':
      return (await git('rev-parse', `HEAD:${rel}`)).slice(0, 7);
  }
}

/** A custom build (Skaffold's buildCommand), sandboxed in builder mode; it pushes by itself. */
async function customBuild(
  scope: BuildScope,
  checkout: Checkout,
  plan: CheckedPlan,
  a: CheckedArtifact,
  b: Extract<PlanBuilder, { kind: 'custom' }>,
  at: { context: string; tag: string; required: ReadonlyMap<string, ImageRecord>; registry: RegistryClient },
): Promise<ImageRecord> {
  const { context, tag, required } = at;
  const ref = `${a.image}:${tag}`;
  const { push } = plan.build;
  scope.line(`building ${ref} with: ${b.buildCommand}`);
  // sandboxed in builder mode: the workspace, the image storage and the push credentials, nothing else of the runner
  const access = builderAccessFromEnv(scope.deps.env ?? process.env);
  await ensureStorage(access);
  await runSandboxed(scope, {
    argv: ['sh', '-c', b.buildCommand],
    workspace: checkout.workspace,
    cwd: context,
    mirror: checkout.mirror,
    builder: access,
    env: {
      ...buildEnv(scope, { sha: checkout.sha, images: [...required.values()] }),
      IMAGE: ref,
      // Skaffold's custom builder also passes the reference's parts (build/custom/script.go)
      IMAGE_REPO: a.image,
      IMAGE_TAG: tag,
      PUSH_IMAGE: String(push),
      BUILD_CONTEXT: context,
      PLATFORMS: a.platforms.join(','),
      SKIP_TEST: 'false',
      ...Object.fromEntries(a.requires.filter((r) => r.alias).map((r) => [r.alias!, requiredRef(required.get(r.image)!)])),
    },
  });
  // its digest is read from the registry (the runner's credentials)
  const digest = push ? (await at.registry.headManifest(a.image, tag, scope.signal))?.digest : '';
  if (digest === undefined) throw new ConfigError(`cannot read the digest of ${ref} from its registry`);
  if (push) scope.line(`pushed ${ref}@${digest}`);
  return { name: a.image, ref: push ? `${ref}@${digest}` : ref, tag, digest };
}

/** How a required image is passed to the artifacts requiring it: by digest once pushed. */
function requiredRef(img: ImageRecord): string {
  return img.digest ? img.ref : `${img.name}:${img.tag}`;
}

async function buildOne(
  scope: BuildScope,
  checkout: Checkout,
  plan: CheckedPlan,
  a: CheckedArtifact,
  required: ReadonlyMap<string, ImageRecord>,
  digestFile: string,
  registry: RegistryClient,
): Promise<ImageRecord> {
  const context = resolveInside(checkout.workspace, a.context, `artifact ${a.image} context`);
  const vars = planVars(scope, checkout, [...required.values()]);
  const tag = await computePlanTag({ policy: plan.build.tagPolicy, vars, context, git: (v) => gitFact(scope, checkout, context, v) });
  if (a.builder.kind === 'custom') return customBuild(scope, checkout, plan, a, a.builder, { context, tag, required, registry });

  const d = a.builder;
  const buildArgs: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.buildArgs)) {
    // Skaffold: a build arg without a value takes the environment variable of its name
    const value = v === null ? vars.values[k] : renderPlanTemplate(v, vars);
    if (value !== undefined) buildArgs[k] = value;
  }
  for (const r of a.requires) if (r.alias) buildArgs[r.alias] = requiredRef(required.get(r.image)!);
  const builder = builderFor(plan.build.cli);
  const ref = `${a.image}:${tag}`;
  const input: BuildInput = {
    context,
    dockerfile: resolveInside(context, d.dockerfile, `artifact ${a.image} dockerfile`),
    ref,
    buildArgs,
    ...(d.target ? { target: d.target } : {}),
    ...(a.platforms.length === 1 ? { platform: a.platforms[0]! } : {}),
    digestFile,
    insecureRegistry: isLoopbackRegistry(a.image),
  };
  const timeoutMs = durationMs(plan.build.timeout);
  if (plan.build.push) {
    const requires = a.requires.map((r) => ({ image: r.image, digest: required.get(r.image)!.digest }));
    return buildOrReuse(scope, builder, { image: a.image, tag, input }, { registry, cache: plan.build.cache, tagPolicy: plan.build.tagPolicy, timeoutMs, requires });
  }
  scope.line(`building ${ref} (local.push: false: not pushed)`);
  await runBuild(scope, builder, input, timeoutMs);
  return { name: a.image, ref, tag, digest: '' };
}

/**
 * Tells `onSpare` once, when what may run beside the builds no longer delays one: every artifact
 * has been started and has started its first command (or ended), and fewer builds run than the
 * machine has cores; at the latest when the last ends. Never after a build failed. Its CPU (the
 * deploy's warm-up loads a Kubernetes client on this thread) then delays no build's start and
 * takes no core from builds that need them all.
 */
function spareCoreWatch(total: number, onSpare: (() => void) | undefined) {
  const cores = availableParallelism();
  const started = new Set<string>();
  const going = new Set<string>(); // started a command, or ended
  let ended = 0;
  let failed = false;
  let told = false;
  const check = () => {
    if (told || failed || !onSpare || started.size < total || going.size < started.size || started.size - ended >= cores) return;
    told = true;
    onSpare();
  };
  return {
    /** The artifact's build, its commands told to `check` when they start. */
    wrap<T>(image: string, scope: BuildScope, build: (s: BuildScope) => Promise<T>): Promise<T> {
      started.add(image);
      const run: BuildScope['run'] = (argv, options = {}) =>
        scope.run(argv, {
          ...options,
          onSpawn: (pid) => {
            options.onSpawn?.(pid);
            going.add(image);
            check();
          },
        });
      return build({ ...scope, run }).then(
        (out) => {
          ended++;
          going.add(image);
          check();
          return out;
        },
        (err: unknown) => {
          failed = true;
          throw err;
        },
      );
    },
  };
}

export async function buildStage(scope: BuildScope, { checkout, plan, onSpareCore }: BuildStageInput): Promise<BuildStageResult> {
  if (plan.build.artifacts.length === 0) {
    onSpareCore?.();
    return { images: [] };
  }
  const scratch = await mkdtemp(path.join(tmpdir(), 'slipway-digest-'));
  try {
    let n = 0;
    const registry = registryFor(scope);
    const spare = spareCoreWatch(plan.build.artifacts.length, onSpareCore);
    const images = await buildWithRequires<CheckedArtifact, ImageRecord>(plan.build.artifacts, plan.build.concurrency, (a, required) =>
      spare.wrap(a.image, scope, (s) => buildOne(s, checkout, plan, a, required, path.join(scratch, `digest-${n++}`), registry)),
    );
    await scope.update((r) => ({ ...r, images }));
    return { images };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
