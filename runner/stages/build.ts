// Build: every artifact built and pushed by the pipeline's builder, up to build.concurrency at
// once, tagged by the tagPolicy; the pushed digest is recorded. A failing build is not retried;
// a failing push is, with backoff, a bounded number of times.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CancelledError, ChildProcessError } from '../../core/errors.ts';
import type { ImageRecord } from '../../core/records.ts';
import type { Artifact } from '../../pipelines/schema.ts';
import { templateVars, type BuildContext } from '../build-context.ts';
import { builderFor } from '../builders/builder-for.ts';
import { isLoopbackRegistry } from '../builders/types.ts';
import { ttlMs } from '../environments/ttl.ts';
import { computeTag } from '../tag-policy.ts';
import { resolveInside } from '../workspace-path.ts';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

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

async function buildArtifact(ctx: BuildContext, artifact: Artifact, scratch: string, index: number): Promise<ImageRecord> {
  const workspace = ctx.workspace!;
  const builder = builderFor(ctx.pipeline.build.builder);
  const context = resolveInside(workspace, artifact.context, 'artifact context');
  const dockerfile = resolveInside(context, artifact.docker.dockerfile, 'dockerfile');
  const tag = await computeTag({ policy: ctx.pipeline.build.tagPolicy, vars: templateVars(ctx), sha: ctx.sha, context });
  const ref = `${artifact.image}:${tag}`;
  const input = {
    context,
    dockerfile,
    ref,
    buildArgs: artifact.docker.buildArgs,
    ...(artifact.docker.target ? { target: artifact.docker.target } : {}),
    digestFile: path.join(scratch, `digest-${index}`),
    insecureRegistry: isLoopbackRegistry(artifact.image),
  };
  const timeoutMs = ttlMs(ctx.pipeline.build.timeout);
  const opts = timeoutMs === undefined ? {} : { timeoutMs };

  ctx.line(`building ${ref}`);
  const built = await ctx.run(builder.buildArgv(input), opts);
  const pushArgv = builder.pushArgv(input);
  let output = built.stdout + built.stderr;
  if (pushArgv) {
    const attempts = ctx.deps.pushAttempts ?? 3;
    let backoff = ctx.deps.pushBackoffMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      try {
        const pushed = await ctx.run(pushArgv, { ...opts, transient: true });
        output = pushed.stdout + pushed.stderr;
        break;
      } catch (err) {
        if (err instanceof CancelledError || !(err instanceof ChildProcessError) || attempt >= attempts || ctx.signal.aborted) throw err;
        ctx.line(`push of ${ref} failed (attempt ${attempt} of ${attempts}), retrying`);
        await sleep(backoff, ctx.signal);
        backoff *= 2;
      }
    }
  }
  const digest = await builder.digest(input, output);
  ctx.line(`pushed ${ref}@${digest}`);
  return { name: artifact.image, ref: `${ref}@${digest}`, tag, digest };
}

export async function buildStage(ctx: BuildContext): Promise<void> {
  const artifacts = ctx.pipeline.build.artifacts;
  if (artifacts.length === 0) return;
  const scratch = await mkdtemp(path.join(tmpdir(), 'slipway-digest-'));
  try {
    const images = await inParallel(
      artifacts.map((a, i) => ({ a, i })),
      ctx.pipeline.build.concurrency,
      ({ a, i }) => buildArtifact(ctx, a, scratch, i),
    );
    ctx.images = images;
    await ctx.update((r) => ({ ...r, images }));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
