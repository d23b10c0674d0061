// One build, stage by stage: checkout → build → test → deploy → report. Every stage updates the
// record (status, times, error) as it goes and every line goes to the reporter, masked. Used by
// the queue worker (record in Redis, log to the stream) and by `slipway run` (printed here).
import { CancelledError, errorMessage } from '../core/errors.ts';
import { nowIso } from '../core/ids.ts';
import type { BuildRecord, BuildStatus, StageName, StageRecord } from '../core/records.ts';
import { effectivePipeline } from '../pipelines/profiles.ts';
import type { Pipeline } from '../pipelines/schema.ts';
import type { BuildContext, RunnerDeps } from './build-context.ts';
import { createMasker, type Masker } from './mask.ts';
import { buildStage } from './stages/build.ts';
import { checkoutStage } from './stages/checkout.ts';
import { deployStage } from './stages/deploy.ts';
import { reportStage } from './stages/report.ts';
import { testStage } from './stages/test.ts';

export interface BuildReporter {
  /** Saves a change to the record and returns the record as stored. */
  update(change: (r: BuildRecord) => BuildRecord): Promise<BuildRecord>;
  /** Log lines, already masked. */
  lines(lines: string[]): void;
}

export interface RunBuildInput {
  record: BuildRecord;
  /** The pipeline as loaded; the branch's profile is applied here. */
  pipeline: Pipeline;
  deps: RunnerDeps;
  reporter: BuildReporter;
  /** Aborted on cancel; its reason (a string) becomes the build's reason. */
  signal: AbortSignal;
  /** Told when a stage starts (the worker ignores cancels once the deploy has started). */
  onStage?: (stage: StageName) => void;
}

export interface RunBuildResult {
  status: BuildStatus;
  reason?: string;
}

const STAGES: StageName[] = ['checkout', 'build', 'test', 'deploy', 'report'];

function pipelineSecrets(p: Pipeline, env: NodeJS.ProcessEnv): string[] {
  const refs = [p.source.secret?.env, p.source.status?.token.env];
  return refs.map((r) => (r ? env[r] : undefined)).filter((v): v is string => !!v);
}

function cancelReason(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'cancelled';
}

export async function runBuild(input: RunBuildInput): Promise<RunBuildResult> {
  const { deps, reporter, signal } = input;
  const { pipeline, profile } = effectivePipeline(input.pipeline, input.record.branch);
  const secrets = [...(deps.secrets ?? []), ...pipelineSecrets(pipeline, deps.env ?? process.env)];
  let masker: Masker = createMasker(secrets);
  let maskedCount = secrets.length;
  const mask = (t: string) => {
    if (secrets.length !== maskedCount) {
      masker = createMasker(secrets);
      maskedCount = secrets.length;
    }
    return masker(t);
  };

  const setStage = (name: StageName, patch: Partial<StageRecord>) =>
    reporter.update((r) => ({ ...r, stages: r.stages.map((s) => (s.name === name ? { ...s, ...patch } : s)) }));

  const ctx: BuildContext = {
    deps,
    record: input.record,
    pipeline,
    ...(profile ? { profile } : {}),
    sha: input.record.sha,
    ...(input.record.branch !== undefined ? { branch: input.record.branch } : {}),
    images: [],
    signal,
    secrets,
    line: (text) => reporter.lines(text.split('\n').map(mask)),
    run: (argv, options = {}) =>
      deps.exec(argv, {
        signal,
        ...options,
        secrets: [...secrets, ...(options.secrets ?? [])],
        // a caller's own onLine replaces the log (e.g. helm's probes, which would only confuse it)
        onLine: options.onLine ?? ((l) => reporter.lines([mask(l)])),
      }),
    update: async (change) => {
      ctx.record = await reporter.update(change);
    },
  };

  ctx.record = await reporter.update((r) => {
    const { reason: _reason, finishedAt: _finishedAt, ...rest } = r;
    return { ...rest, status: 'running', startedAt: nowIso(), images: [], stages: STAGES.map((name) => ({ name, status: 'pending' })) };
  });
  ctx.line(`build ${ctx.record.id} of ${pipeline.metadata.name}${profile ? ` (profile ${profile})` : ''}`);
  // pending on the forge while it runs (not awaited: a slow forge never delays the build)
  const pending = reportStage(ctx, 'running', 'running').catch(() => false);

  let status: BuildStatus = 'succeeded';
  let reason: string | undefined;
  const work: [StageName, (c: BuildContext) => Promise<unknown>, () => boolean][] = [
    ['checkout', checkoutStage, () => true],
    ['build', buildStage, () => pipeline.build.artifacts.length > 0],
    ['test', testStage, () => pipeline.test.length > 0],
    ['deploy', deployStage, () => pipeline.deploy.helm !== undefined],
  ];
  try {
    for (const [name, stage, applies] of work) {
      if (status !== 'succeeded' || reason) {
        await setStage(name, { status: 'skipped' });
        continue;
      }
      const requested = ctx.record.cancelRequested;
      if (signal.aborted || (requested && name !== 'checkout')) {
        status = 'cancelled';
        reason = signal.aborted ? cancelReason(signal) : requested;
        await setStage(name, { status: 'skipped' });
        continue;
      }
      if (!applies()) {
        await setStage(name, { status: 'skipped' });
        continue;
      }
      input.onStage?.(name);
      ctx.line(`==> ${name}`);
      await setStage(name, { status: 'running', startedAt: nowIso() });
      try {
        const out = (await stage(ctx)) as { skipReason?: string } | undefined;
        await setStage(name, { status: 'succeeded', finishedAt: nowIso() });
        if (out?.skipReason) reason = out.skipReason; // succeeded, the rest skipped
      } catch (err) {
        const cancelled = err instanceof CancelledError || (signal.aborted && name !== 'deploy');
        const message = mask(errorMessage(err));
        status = cancelled ? 'cancelled' : 'failed';
        reason = cancelled ? cancelReason(signal) : `${name} failed: ${message.split('\n')[0]}`;
        ctx.line(cancelled ? `${name} cancelled: ${reason}` : `${name} failed: ${message}`);
        await setStage(name, { status: cancelled ? 'cancelled' : 'failed', finishedAt: nowIso(), error: message });
        deps.log.info({ build: ctx.record.id, stage: name, status }, 'stage ended');
      }
    }
  } finally {
    if (ctx.workspace && ctx.mirror) await deps.git.removeCheckout(ctx.mirror, ctx.workspace);
  }

  await setStage('report', { status: 'running', startedAt: nowIso() });
  await pending; // the final status must not be overtaken by the pending one
  const sent = await reportStage(ctx, status, reason).catch(() => false);
  await setStage('report', { status: sent ? 'succeeded' : 'skipped', finishedAt: nowIso() });

  ctx.line(`build ${status}${reason ? `: ${reason}` : ''}`);
  await reporter.update((r) => ({ ...r, status, ...(reason ? { reason } : {}), finishedAt: nowIso() }));
  return reason ? { status, reason } : { status };
}
