// A runner: the build worker, cancel requests from Redis pub/sub, and a graceful close.
import type { Redis } from 'ioredis';
import { BuildStore } from '../core/build-store.ts';
import { subscribeCancel } from '../core/cancel.ts';
import type { Config } from '../core/config.ts';
import type { Keys } from '../core/keys.ts';
import { LogStream } from '../core/log-stream.ts';
import type { Logger } from '../core/logger.ts';
import { createStatusSender } from '../core/status-sender.ts';
import type { Pipeline } from '../pipelines/schema.ts';
import type { HelmOptions } from './deployers/helm.ts';
import type { RunnerDeps } from './runner-deps.ts';
import type { EnvironmentManager } from './environments/types.ts';
import { exec as realExec, type Exec } from './exec.ts';
import { createGit, type Git } from './git.ts';
import { createOrphanRegistry, reapOrphans } from './orphans.ts';
import { runnerSecrets } from './runner-secrets.ts';
import { createSandbox, type Sandbox } from './sandbox.ts';
import { createBuildWorker, type BuildWorker } from './worker.ts';

export interface StartRunnerOptions {
  redis: Redis;
  keys: Keys;
  bullPrefix: string;
  /** The pipeline of that name as currently loaded. */
  pipelines: (name: string) => Pipeline | undefined;
  config: Pick<Config, 'workdir' | 'concurrency' | 'publicUrl' | 'apiToken'>;
  log: Logger;
  exec?: Exec;
  git?: Git;
  environments?: EnvironmentManager;
  helm?: HelmOptions;
  /** Passed to the worker: stalled-job detection. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  pushAttempts?: number;
  pushBackoffMs?: number;
  /** SLIPWAY_DEFAULT_REPO (config.defaultRepo). */
  defaultRepo?: string;
  /** Where steps run; default createSandbox() (bubblewrap, or refusal). */
  sandbox?: Sandbox;
  /** Where the runner's own credentials are found (KUBECONFIG, REGISTRY_AUTH_FILE, ...). Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface Runner {
  worker: BuildWorker;
  /** Stops taking jobs; running builds get `graceMs` (default 60 s) to finish, then are cancelled. */
  close(graceMs?: number): Promise<void>;
}

export async function startRunner(opts: StartRunnerOptions): Promise<Runner> {
  // step processes of a runner that was SIGKILLed on this machine are still running: stop them
  const reaped = await reapOrphans(opts.config.workdir);
  if (reaped) opts.log.warn({ processGroups: reaped }, 'killed processes left by a lost runner');
  const orphans = await createOrphanRegistry(opts.config.workdir);
  // refuses to start when steps cannot be isolated (unless the operator opted out)
  const sandbox = opts.sandbox ?? (await createSandbox({ workdir: opts.config.workdir, exec: realExec, log: opts.log, env: opts.env ?? process.env }));
  const deps: RunnerDeps = {
    exec: orphans.track(opts.exec ?? realExec),
    git: opts.git ?? createGit({ workdir: opts.config.workdir }),
    workdir: opts.config.workdir,
    log: opts.log,
    redis: opts.redis,
    keys: opts.keys,
    ...(opts.environments ? { environments: opts.environments } : {}),
    ...(opts.helm ? { helm: opts.helm } : {}),
    secrets: await runnerSecrets(opts.env ?? process.env, [opts.config.apiToken, opts.redis.options.password]),
    sandbox,
    publicUrl: opts.config.publicUrl,
    statuses: createStatusSender({ redis: opts.redis, keys: opts.keys, publicUrl: opts.config.publicUrl, log: opts.log }),
    ...(opts.pushAttempts !== undefined ? { pushAttempts: opts.pushAttempts } : {}),
    ...(opts.pushBackoffMs !== undefined ? { pushBackoffMs: opts.pushBackoffMs } : {}),
    ...(opts.defaultRepo ? { defaultRepo: opts.defaultRepo } : {}),
  };
  const worker = createBuildWorker({
    connection: opts.redis,
    bullPrefix: opts.bullPrefix,
    concurrency: opts.config.concurrency,
    store: new BuildStore(opts.redis, opts.keys),
    logs: new LogStream(opts.redis, opts.keys),
    pipelines: opts.pipelines,
    deps,
    log: opts.log,
    ...(opts.lockDurationMs !== undefined ? { lockDurationMs: opts.lockDurationMs } : {}),
    ...(opts.stalledIntervalMs !== undefined ? { stalledIntervalMs: opts.stalledIntervalMs } : {}),
    ...(opts.maxStalledCount !== undefined ? { maxStalledCount: opts.maxStalledCount } : {}),
  });
  const unsubscribe = await subscribeCancel(opts.redis, opts.keys, (msg) => {
    const outcome = worker.cancel(msg.buildId, msg.reason);
    if (outcome !== 'not-here') opts.log.info({ build: msg.buildId, outcome }, 'cancel request');
  });
  await worker.worker.waitUntilReady();
  opts.log.info({ concurrency: opts.config.concurrency }, 'runner started');
  return {
    worker,
    async close(graceMs) {
      await worker.close(graceMs);
      await unsubscribe();
      opts.log.info({}, 'runner stopped');
    },
  };
}
