// One build, stage by stage: checkout → build → test → deploy → report, the middle three running
// the build's plan (a native pipeline's or its skaffold file's, one path). Every stage updates the
// record (status, times, error) as it goes and every line goes to the reporter, masked. Used by
// the queue worker (record in Redis, log to the stream) and by `slipway run` (printed here).
import { CancelledError, errorMessage } from '../core/errors.ts';
import { nowIso } from '../core/ids.ts';
import { closeStages, type BuildRecord, type BuildStatus, type ImageRecord, type StageName, type StageRecord } from '../core/records.ts';
import { withDefaultRepo } from '../pipelines/default-repo.ts';
import { effectivePipeline } from '../pipelines/profiles.ts';
import { planFromPipeline, type Plan } from '../pipelines/plan.ts';
import type { Pipeline } from '../pipelines/schema.ts';
import { createSecrets } from './mask.ts';
import type { RunnerDeps } from './runner-deps.ts';
import { buildStage } from './stages/build.ts';
import { checkoutStage } from './stages/checkout.ts';
import { deployStage, warmDeploy } from './stages/deploy.ts';
import { buildPlan, checkedPlan, type CheckedPlan } from './stages/plan.ts';
import { reportStage } from './stages/report.ts';
import { testStage } from './stages/test.ts';
import type { BuildScope, Checkout } from './stages/types.ts';
import { urlCredentials } from '../core/repo-url.ts';

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
  /**
   * false: built and tested only, as `skaffold build` + `skaffold test` (`slipway run --no-deploy`):
   * the deploy stage is skipped whatever the plan or the branch's profile says. Default true.
   */
  deploy?: boolean;
}

/** What decides whether a run deploys: the pipeline as loaded, the branch, and the run's `deploy`. */
export interface DeployQuestion {
  pipeline: Pipeline;
  branch: string | undefined;
  deploy?: boolean;
}

/**
 * Whether a run deploys, the one answer runBuild (which skips the deploy stage otherwise) and
 * `slipway run` (which then needs no Redis) share: never with `deploy: false`, whatever the plan
 * or the branch's profile says; else when its plan has deploys. `plan` is the build's, once known;
 * before the checkout a native pipeline's is its own with the branch's profile applied, and a
 * skaffold pipeline's file, read at the commit, may deploy.
 */
export function runDeploys(run: DeployQuestion, plan?: Plan): boolean {
  if (run.deploy === false) return false;
  if (plan) return plan.deploys.length > 0;
  if (run.pipeline.skaffold) return true;
  return planFromPipeline(effectivePipeline(run.pipeline, run.branch).pipeline).deploys.length > 0;
}

export interface RunBuildResult {
  status: BuildStatus;
  reason?: string;
}

const STAGES: StageName[] = ['checkout', 'build', 'test', 'deploy', 'report'];

function pipelineSecrets(p: Pipeline, env: NodeJS.ProcessEnv): string[] {
  const refs = [p.source.secret?.env, p.source.status?.token.env];
  const fromEnv = refs.map((r) => (r ? env[r] : undefined)).filter((v): v is string => !!v);
  return [...fromEnv, ...urlCredentials(p.source.repo)];
}

function cancelReason(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'cancelled';
}

export async function runBuild(input: RunBuildInput): Promise<RunBuildResult> {
  const { deps, reporter, signal } = input;
  const effective = effectivePipeline(input.pipeline, input.record.branch);
  const { profile } = effective;
  const pipeline = withDefaultRepo(effective.pipeline, deps.defaultRepo);
  const written = effective.pipeline.build.artifacts;
  const imageNames = new Map(pipeline.build.artifacts.map((a, i) => [a.image, written[i]?.image ?? a.image]));
  const secrets = createSecrets([...(deps.secrets ?? []), ...pipelineSecrets(pipeline, deps.env ?? process.env)]);
  const line = (text: string) => reporter.lines(text.split('\n').map((l) => secrets.mask(l)));

  /** The record as last stored: the stages' updates, and a cancel asked meanwhile. */
  let latest = input.record;
  const save = async (change: (r: BuildRecord) => BuildRecord) => {
    latest = await reporter.update(change);
  };
  const setStage = (name: StageName, patch: Partial<StageRecord>) =>
    save((r) => ({ ...r, stages: r.stages.map((s) => (s.name === name ? { ...s, ...patch } : s)) }));

  await save((r) => {
    const { reason: _reason, finishedAt: _finishedAt, ...rest } = r;
    return { ...rest, status: 'running', startedAt: nowIso(), images: [], stages: STAGES.map((name) => ({ name, status: 'pending' })) };
  });
  const scope: BuildScope = {
    deps,
    build: latest,
    pipeline,
    ...(profile ? { profile } : {}),
    imageNames,
    signal,
    secrets,
    line,
    run: (argv, options = {}) =>
      deps.exec(argv, {
        signal,
        ...options,
        secrets: [...secrets.values(), ...(options.secrets ?? [])],
        // a caller's own onLine replaces the log (e.g. helm's probes, which would only confuse it)
        onLine: options.onLine ?? ((l) => reporter.lines([secrets.mask(l)])),
      }),
    update: save,
  };

  line(`build ${latest.id} of ${pipeline.metadata.name}${profile ? ` (profile ${profile})` : ''}`);
  // pending on the forge while it runs (not awaited: a slow forge never delays the build)
  const pending = reportStage(scope, { status: 'running', reason: 'running', sha: latest.sha }).catch(() => false);

  let status: BuildStatus = 'succeeded';
  let reason: string | undefined;

  /** A cancel stops the build before the next stage; true when it did (the stage is skipped). */
  const stopped = async (name: StageName): Promise<boolean> => {
    const requested = latest.cancelRequested;
    if (!signal.aborted && !(requested && name !== 'checkout')) return false;
    status = 'cancelled';
    reason = signal.aborted ? cancelReason(signal) : requested;
    await setStage(name, { status: 'skipped' });
    return true;
  };

  /** Runs one stage and records how it ended; undefined when the build stops here. */
  const stage = async <T>(name: StageName, work: () => Promise<T>): Promise<T | undefined> => {
    if (await stopped(name)) return undefined;
    input.onStage?.(name);
    line(`==> ${name}`);
    await setStage(name, { status: 'running', startedAt: nowIso() });
    try {
      const out = await work();
      await setStage(name, { status: 'succeeded', finishedAt: nowIso() });
      return out;
    } catch (err) {
      const cancelled = err instanceof CancelledError || (signal.aborted && name !== 'deploy');
      const message = secrets.mask(errorMessage(err));
      status = cancelled ? 'cancelled' : 'failed';
      reason = cancelled ? cancelReason(signal) : `${name} failed: ${message.split('\n')[0]}`;
      line(cancelled ? `${name} cancelled: ${reason}` : `${name} failed: ${message}`);
      await setStage(name, { status: cancelled ? 'cancelled' : 'failed', finishedAt: nowIso(), error: message });
      deps.log.info({ build: latest.id, stage: name, status }, 'stage ended');
      return undefined;
    }
  };

  /** A stage this pipeline does not have: skipped, unless a cancel stops the build first. */
  const absent = async (name: StageName): Promise<boolean> => {
    if (await stopped(name)) return false;
    await setStage(name, { status: 'skipped' });
    return true;
  };

  const question: DeployQuestion = { pipeline: input.pipeline, branch: input.record.branch, deploy: input.deploy };
  /** The plan's deploys this run leaves out (it does not deploy), for the log. */
  let left: Plan['deploys'] = [];
  /**
   * The plan as this run runs it: without its deploys when the run does not deploy, so their
   * deployers are not even checked (nor are they by `skaffold build`).
   */
  const forRun = <T extends { plan: Plan }>(p: T): T => {
    if (p.plan.deploys.length === 0 || runDeploys(question, p.plan)) return p;
    left = p.plan.deploys;
    return { ...p, plan: { ...p.plan, deploys: [] } };
  };

  /**
   * The plan's stages, each given what the earlier ones returned; returns at the first that stops
   * the build. A skaffold file is read from the checkout in the build stage (a broken one fails
   * it), and checked there before anything builds; a native pipeline's plan is known before, and a
   * stage it has nothing for is skipped.
   */
  const stages = async (checkout: Checkout): Promise<void> => {
    const known = pipeline.skaffold ? undefined : forRun(await buildPlan(scope, checkout));
    let planned: { plan: CheckedPlan; scope: BuildScope };
    let images: ImageRecord[] = [];
    if (known && known.plan.build.artifacts.length === 0) {
      if (!(await absent('build'))) return;
      // a native pipeline's plan has nothing the check refuses (it writes only Dockerfile builds, argv tests and helm)
      planned = { ...known, plan: await checkedPlan(known.scope, known.plan) };
    } else {
      const built = await stage('build', async () => {
        const p = known ?? forRun(await buildPlan(scope, checkout));
        const plan = await checkedPlan(p.scope, p.plan);
        // what the deploy will need and that changes nothing starts beside the builds (deploy.ts)
        const onSpareCore = () => warmDeploy(p.scope, plan);
        return { scope: p.scope, plan, ...(await buildStage(p.scope, { checkout, plan, onSpareCore })) };
      });
      if (!built) return;
      planned = built;
      images = built.images;
    }
    const { plan, scope: planScope } = planned;

    if (plan.tests.length > 0) {
      if (!(await stage('test', () => testStage(planScope, { checkout, plan, images })))) return;
    } else if (!(await absent('test'))) return;

    if (plan.deploys.length > 0) {
      const deployed = await stage('deploy', () => deployStage(planScope, { checkout, images, plan }));
      if (deployed?.kind === 'superseded') {
        reason = `superseded by ${deployed.by}`; // succeeded: built and tested, not deployed
        await setStage('deploy', { status: 'skipped' });
      }
    } else if ((await absent('deploy')) && left.length > 0) {
      line(`deploy skipped: this run does not deploy (the plan's ${left.map((d) => (d.kind === 'unsupported' ? d.deployer : d.kind)).join(', ')})`);
    }
  };

  const checkedOut = await stage('checkout', () => checkoutStage(scope));
  if (checkedOut?.kind === 'skip') reason = checkedOut.reason; // succeeded, the rest skipped
  if (checkedOut?.kind === 'ready') {
    try {
      await stages(checkedOut);
    } finally {
      await deps.git.removeCheckout(checkedOut.mirror, checkedOut.workspace);
    }
  }
  await setStage('report', { status: 'running', startedAt: nowIso() });
  await pending; // the final status must not be overtaken by the pending one
  const envUrl = latest.environment?.url;
  const sent = await reportStage(scope, { status, ...(reason ? { reason } : {}), sha: latest.sha, ...(envUrl ? { environmentUrl: envUrl } : {}) }).catch(
    () => false,
  );
  await setStage('report', { status: sent ? 'succeeded' : 'skipped', finishedAt: nowIso() });

  line(`build ${status}${reason ? `: ${reason}` : ''}`);
  const at = nowIso();
  // whatever did not run is skipped: a final record shows no stage pending
  await save((r) => ({ ...r, status, ...(reason ? { reason } : {}), finishedAt: at, stages: closeStages(r.stages, status, at) }));
  return reason ? { status, reason } : { status };
}
