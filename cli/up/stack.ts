// Server and runner composed over one Redis: what `slipway up` runs in one process and what
// `slipway runner` runs alone. The caller owns Redis.
import type { Server } from 'node:http';
import path from 'node:path';
import { KubeConfig } from '../../runner/environments/kube-api.ts';
import type { Redis } from 'ioredis';
import { bullConnection } from '../../core/bull-connection.ts';
import type { Config } from '../../core/config.ts';
import type { Keys } from '../../core/keys.ts';
import type { Logger } from '../../core/logger.ts';
import { createQueues, type Queues } from '../../core/queue.ts';
import { SPOOL_FILE } from '../../core/spool.ts';
import { checkWorkFolder } from '../../core/work-folder.ts';
import type { LoadedPipeline } from '../../pipelines/schema.ts';
import { createEnvironmentManager } from '../../runner/environments/manager.ts';
import { startEnvironmentKeeper, type EnvironmentKeeper } from '../../runner/environments/keeper.ts';
import { exec } from '../../runner/exec.ts';
import { createGit } from '../../runner/git.ts';
import { startRunner, type Runner } from '../../runner/start.ts';
import { createServer, listen, type SlipwayServer } from '../../server/create-server.ts';
import { createDashboard } from '../../server/ui/dashboard.ts';

export interface StackOptions {
  redis: Redis;
  redisUrl: string;
  keys: Keys;
  config: Config;
  log: Logger;
  /** The current pipelines (the set can change while running). */
  pipelines: () => LoadedPipeline[];
  env: NodeJS.ProcessEnv;
}

export interface RunnerPart {
  runner: Runner;
  keeper: EnvironmentKeeper | undefined;
  close(graceMs?: number): Promise<void>;
}

/** The kubeconfig KUBECONFIG (or ~/.kube/config) names, or undefined when there is none to read. */
function loadKubeConfig(log: Logger): KubeConfig | undefined {
  const kube = new KubeConfig();
  try {
    kube.loadFromDefault();
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'no usable kubeconfig: builds run, deploys fail and environments are not torn down');
    return undefined;
  }
  return kube;
}

export async function startRunnerPart(opts: StackOptions): Promise<RunnerPart> {
  await checkWorkFolder(opts.config.workdir, opts.env);
  const kube = loadKubeConfig(opts.log);
  const git = createGit({ workdir: opts.config.workdir });
  const bullPrefix = `${opts.config.keyPrefix}bull`;
  const byName = (name: string) => opts.pipelines().find((p) => p.pipeline.metadata.name === name)?.pipeline;
  const envLog = opts.log.child({ part: 'environments' });
  const runner = await startRunner({
    redis: opts.redis,
    keys: opts.keys,
    bullPrefix,
    pipelines: byName,
    config: opts.config,
    log: opts.log.child({ part: 'runner' }),
    exec,
    git,
    ...(opts.config.defaultRepo ? { defaultRepo: opts.config.defaultRepo } : {}),
    // Without a cluster the deploy stage fails with a clear reason instead of a connection error.
    ...(kube ? { environments: createEnvironmentManager({ redis: opts.redis, keys: opts.keys, kube, log: envLog }) } : {}),
  });
  // Teardown jobs wait in the queue until a runner with a cluster takes them.
  const keeper = kube
    ? startEnvironmentKeeper({
        connection: bullConnection(opts.redisUrl),
        prefix: bullPrefix,
        redis: opts.redis,
        keys: opts.keys,
        kube,
        exec,
        log: envLog,
        git,
        pipelines: () => opts.pipelines().map((p) => p.pipeline),
        ...(opts.config.leakGraceMs !== undefined ? { leakScan: { graceMs: opts.config.leakGraceMs } } : {}),
      })
    : undefined;
  return {
    runner,
    keeper,
    async close(graceMs) {
      await runner.close(graceMs);
      await keeper?.close();
    },
  };
}

export interface ServerPart {
  slipway: SlipwayServer;
  http: Server;
  url: string;
  queues: Queues;
  close(): Promise<void>;
}

export async function startServerPart(opts: StackOptions & { port: number }): Promise<ServerPart> {
  // the webhook spool must be writable before anything is accepted: refused here, not per webhook
  await checkWorkFolder(opts.config.workdir, opts.env);
  const queues = createQueues(bullConnection(opts.redisUrl), `${opts.config.keyPrefix}bull`, opts.log);
  const slipway = createServer({
    redis: opts.redis,
    keys: opts.keys,
    queues,
    pipelines: opts.pipelines(),
    config: opts.config,
    log: opts.log.child({ part: 'server' }),
    env: opts.env,
    spoolFile: path.join(opts.config.workdir, SPOOL_FILE),
    // on.push.poll: branch heads listed with git ls-remote, as reconcile lists them
    git: createGit({ workdir: opts.config.workdir }),
    defaultMetrics: true,
    extend: (app, deps) => app.use(createDashboard(deps)),
  });
  // nothing listens (the port taken): what was opened for it closes, or it would keep the process alive
  const { server: http, url } = await listen(slipway, opts.port, opts.config.host).catch(async (err: unknown) => {
    slipway.close();
    await queues.close();
    throw err;
  });
  return {
    slipway,
    http,
    url,
    queues,
    async close() {
      slipway.close();
      await slipway.superseder.idle(); // supersedes started after an answer still finish
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await queues.close();
    },
  };
}
