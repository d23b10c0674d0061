// The long-lived collaborators of a runner, shared by every build it runs.
import type { Redis } from 'ioredis';
import type { Keys } from '../core/keys.ts';
import type { ImageRecord } from '../core/records.ts';
import type { Logger } from '../core/logger.ts';
import type { HelmOptions } from './deployers/helm.ts';
import type { EnvironmentManager } from './environments/types.ts';
import type { Exec } from './exec.ts';
import type { Git } from './git.ts';
import type { RegistryClient } from './registry/registry-client.ts';
import type { StatusSender } from '../core/status-sender.ts';
import type { Sandbox } from './sandbox.ts';

export interface RunnerDeps {
  exec: Exec;
  git: Git;
  /** Workspaces live under <workdir>/builds/<build id>. */
  workdir: string;
  log: Logger;
  /** Needed for deploys: the per-namespace lock lives in Redis. */
  redis?: Redis;
  /**
   * Without `redis`: connects it when a deploy first needs it, once (`slipway run`, which loads
   * ioredis only then, not before its checkout).
   */
  connectRedis?: () => Promise<Redis>;
  keys?: Keys;
  environments?: EnvironmentManager;
  helm?: HelmOptions;
  /** Values masked in every log line besides the pipeline's own secrets (e.g. the API token). */
  secrets?: string[];
  /** Where commit statuses link to; reporting is skipped without it. */
  publicUrl?: string;
  /** The ordered commit-status sender shared with the server; without it statuses are posted directly. */
  statuses?: StatusSender;
  /**
   * Tries of a step that may fail transiently (git fetch, preparing the environment through the
   * Kubernetes API) before giving up; permanent failures are never tried again. Default 3.
   */
  retryAttempts?: number;
  /** First wait between those tries; doubles each time. Default 1 s. */
  retryBackoffMs?: number;
  /** Attempts of a push before giving up (transient failures only). Default 3. */
  pushAttempts?: number;
  /** First backoff between push attempts; doubles each time. Default 1 s. */
  pushBackoffMs?: number;
  env?: NodeJS.ProcessEnv;
  /** SLIPWAY_DEFAULT_REPO: artifacts' images are rewritten onto it unless the pipeline has build.defaultRepo. */
  defaultRepo?: string;
  /** Build every artifact, unchanged or not (`slipway run --no-cache`). */
  noCache?: boolean;
  /** The registry API the build cache and the tag check use; default one with the runner's credentials. */
  registry?: RegistryClient;
  /** Where a pipeline's own commands run (runner/sandbox.ts). Default bubblewrap. */
  sandbox?: Sandbox;
  /**
   * Images this process built or reused, by image and input digest, handed back as they are, tag
   * and all, when the same inputs come again (`slipway dev`: an artifact whose inputs did not
   * change keeps its reference, so its workload is not rolled). A CI runner has none: each build
   * tags its own images.
   */
  keptImages?: Map<string, ImageRecord>;
}
