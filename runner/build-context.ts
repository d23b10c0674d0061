// What the stages of one build share: the record as it stands, the effective pipeline, the
// workspace, the images built so far, a way to write build-log lines, and `run`, the exec door
// bound to this build (its log, its secrets, its cancel signal).
import type { Redis } from 'ioredis';
import type { Keys } from '../core/keys.ts';
import type { Logger } from '../core/logger.ts';
import type { BuildRecord, ImageRecord } from '../core/records.ts';
import type { Pipeline } from '../pipelines/schema.ts';
import type { TemplateVars } from '../pipelines/template.ts';
import type { EnvironmentManager } from './environments/types.ts';
import type { Exec, ExecOptions, ExecResult } from './exec.ts';
import type { Git } from './git.ts';

export interface HelmConfig {
  /** The helm binary; default 'helm' on PATH. */
  bin?: string;
  /** Extra environment for helm (e.g. KUBECONFIG). */
  env?: Record<string, string | undefined>;
}

/** Long-lived collaborators, shared by every build of a runner. */
export interface RunnerDeps {
  exec: Exec;
  git: Git;
  /** Workspaces live under <workdir>/builds/<build id>. */
  workdir: string;
  log: Logger;
  /** Needed for deploys: the per-namespace lock lives in Redis. */
  redis?: Redis;
  keys?: Keys;
  environments?: EnvironmentManager;
  helm?: HelmConfig;
  /** Values masked in every log line besides the pipeline's own secrets (e.g. the API token). */
  secrets?: string[];
  /** Where commit statuses link to; reporting is skipped without it. */
  publicUrl?: string;
  /** Attempts of a push before giving up (transient failures only). Default 3. */
  pushAttempts?: number;
  /** First backoff between push attempts; doubles each time. Default 1 s. */
  pushBackoffMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface BuildContext {
  deps: RunnerDeps;
  record: BuildRecord;
  pipeline: Pipeline;
  profile?: string;
  /** The commit being built (resolved from the branch by checkout when the trigger gave none). */
  sha: string;
  branch?: string;
  mirror?: string;
  workspace?: string;
  images: ImageRecord[];
  namespace?: string;
  /** Aborted on cancel. The deploy stage does not pass it on: a started deploy finishes. */
  signal: AbortSignal;
  secrets: string[];
  /** Writes lines to the build log (masked). */
  line(text: string): void;
  /** The exec door with this build's log, secrets and (unless given another) cancel signal. */
  run(argv: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Saves a change to the build record. */
  update(change: (r: BuildRecord) => BuildRecord): Promise<void>;
}

export function templateVars(ctx: BuildContext): TemplateVars {
  const images: NonNullable<TemplateVars['Images']> = {};
  for (const img of ctx.images) {
    const vars = { Repo: img.name, Tag: img.tag, Digest: img.digest, Ref: img.ref };
    images[img.name] = vars;
    images[img.name.split('/').pop()!] = vars;
  }
  return {
    BuildNumber: String(ctx.record.number),
    ...(ctx.branch !== undefined ? { Branch: ctx.branch } : {}),
    ...(ctx.record.tag !== undefined ? { Tag: ctx.record.tag } : {}),
    ...(ctx.sha ? { Sha: ctx.sha, ShortSha: ctx.sha.slice(0, 7) } : {}),
    Pipeline: ctx.pipeline.metadata.name,
    ...(ctx.namespace !== undefined ? { Namespace: ctx.namespace } : {}),
    Images: images,
  };
}
