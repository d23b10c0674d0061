// What the stages of one build are given and what they give back. runBuild threads each stage's
// result into the next ones' input: checkout → build → test → deploy → report. Build, test and
// deploy run the build's plan (pipelines/plan.ts), whichever file it was written in, once checked
// (a CheckedPlan, of checkPlan in plan.ts: they take no other). A stage writes
// nothing shared; what it learns it returns (or records through `update`, for the API to show).
import type { BuildEnvironmentRef, BuildRecord, BuildStatus, ImageRecord } from '../../core/records.ts';
import type { CheckedPlan } from './plan.ts';
import type { Pipeline } from '../../pipelines/schema.ts';
import type { ExecOptions, ExecResult } from '../exec.ts';
import type { Secrets } from '../mask.ts';
import type { RunnerDeps } from '../runner-deps.ts';

/** The same for every stage of a build: who it is, its pipeline, and its doors to the world. */
export interface BuildScope {
  deps: RunnerDeps;
  /** The record as the build started (id, number, repo, branch, tag, trigger, before). */
  build: BuildRecord;
  /** The effective pipeline (the branch's profile applied). */
  pipeline: Pipeline;
  profile?: string;
  /**
   * Each artifact's image as the pipeline names it, by the name it is pushed under (they differ under a
   * default repo): templates and step variables know an image by either.
   */
  imageNames?: ReadonlyMap<string, string>;
  /** Aborted on cancel. The deploy stage does not pass it on: a started deploy finishes. */
  signal: AbortSignal;
  /** The build's secrets: masked in its log; `add` one the moment a stage learns it. */
  secrets: Secrets;
  /** Writes lines to the build log (masked). */
  line(text: string): void;
  /** The exec door with this build's log, secrets and (unless given another) cancel signal. */
  run(argv: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Saves a change to the build record (what the API shows). */
  update(change: (r: BuildRecord) => BuildRecord): Promise<void>;
}

/** The commit checked out: a worktree of the mirror, removed by runBuild when the build ends. */
export interface Checkout {
  sha: string;
  mirror: string;
  workspace: string;
}

export type CheckoutResult =
  | ({ kind: 'ready' } & Checkout)
  /** Nothing under on.push.paths changed: the build ends here, succeeded. */
  | { kind: 'skip'; sha: string; reason: string };

export interface BuildStageInput {
  checkout: Checkout;
  /** The build's plan, checked: a native pipeline's (planFromPipeline) or its skaffold file's. */
  plan: CheckedPlan;
  /**
   * Called once, when every artifact has started its first command and fewer builds run than the
   * machine has cores (at the latest when the last ends; never after a build failed): what may
   * run beside the builds without delaying them (runBuild: the deploy's warm-up, deploy.ts).
   */
  onSpareCore?: () => void;
}

export interface BuildStageResult {
  /** One per artifact, in the pipeline's order. */
  images: ImageRecord[];
}

export interface TestStageInput {
  checkout: Checkout;
  plan: CheckedPlan;
  images: ImageRecord[];
}

export interface TestStageResult {
  /** The names of the steps that ran, in order (all passed). */
  steps: string[];
}

export interface DeployStageInput {
  checkout: Checkout;
  images: ImageRecord[];
  plan: CheckedPlan;
}

export type DeployStageResult =
  | { kind: 'deployed'; environment: BuildEnvironmentRef }
  /** A newer build has deployed there (this one was not asked for by a person): nothing done. */
  | { kind: 'superseded'; by: string };

export interface ReportStageInput {
  status: BuildStatus;
  reason?: string;
  /** The commit the status is about; nothing is sent without one. */
  sha: string;
  environmentUrl?: string;
}
