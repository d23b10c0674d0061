// The environment keeper the runner's start composes: the teardown worker, plus the sweeper and
// reconcile and the leak scan run once at start and then every interval (never two rounds at once).
import type { Queue, ConnectionOptions } from 'bullmq';
import { createTeardownQueue, queueTeardown, type TeardownJob } from '../../core/queue.ts';
import { startPeriodic } from '../../core/periodic.ts';
import { DEFAULT_RETENTION, pruneBuilds } from '../../core/retention.ts';
import type { Pipeline } from '../../pipelines/schema.ts';
import { scanLeakedNamespaces, type LeakScanOptions } from './leak-scan.ts';
import { reconcileEnvironments, type BranchLister } from './reconcile.ts';
import { sweepExpired } from './sweeper.ts';
import type { TeardownRequest } from './teardown.ts';
import { createTeardownWorker, type TeardownWorkerOptions } from './teardown-worker.ts';

export interface KeeperOptions extends TeardownWorkerOptions {
  connection: ConnectionOptions;
  git: BranchLister;
  pipelines: () => Pipeline[] | Promise<Pipeline[]>;
  /** How often sweep and reconcile run; default 5 minutes. */
  intervalMs?: number;
  /** The leak scan of orphaned Slipway namespaces (grace 10 minutes by default); false: none. */
  leakScan?: LeakScanOptions | false;
  /** The teardown queue to add to; one of the keeper's own when absent. */
  queue?: Queue<TeardownJob>;
}

export interface KeeperRound {
  swept: string[];
  reconciled: string[];
  /** Orphaned namespaces the leak scan tore down. */
  leaked: string[];
}

export interface EnvironmentKeeper {
  /** One sweep + reconcile round now (the timer runs them too). */
  runOnce(): Promise<KeeperRound>;
  close(): Promise<void>;
}

export function startEnvironmentKeeper(opts: KeeperOptions): EnvironmentKeeper {
  const { git, pipelines, intervalMs, queue: givenQueue, leakScan, ...workerOpts } = opts;
  const log = opts.log;
  const worker = createTeardownWorker(workerOpts);
  const queue = givenQueue ?? createTeardownQueue(opts.connection, opts.prefix);
  const teardown = async (req: TeardownRequest): Promise<void> => {
    await queueTeardown(queue, { pipeline: req.pipeline, branch: req.branch, reason: req.reason, ...(req.onlyIfExpired ? { onlyIfExpired: true } : {}) });
  };
  const deps = { redis: opts.redis, keys: opts.keys, log, pipelines, teardown };

  const round = async (): Promise<KeeperRound> => {
    const swept = await sweepExpired(deps);
    const loaded = new Map((await pipelines()).map((p) => [p.metadata.name, p.retention]));
    await pruneBuilds({ redis: opts.redis, keys: opts.keys, log, policy: (name) => loaded.get(name) ?? DEFAULT_RETENTION }).catch((err: unknown) =>
      log.warn({ err }, 'retention round failed'),
    );
    const reconciled = await reconcileEnvironments({ ...deps, git });
    const { connection: _c, prefix: _p, concurrency: _n, ...teardownDeps } = workerOpts;
    const leaked =
      leakScan === false
        ? []
        : await scanLeakedNamespaces(teardownDeps, { pipelines: [...loaded.keys()], ...leakScan }).catch((err: unknown) => {
            log.warn({ err }, 'leak scan failed');
            return [];
          });
    return { swept, reconciled, leaked };
  };
  const rounds = startPeriodic(round, { intervalMs: intervalMs ?? 5 * 60_000, onError: (err) => log.warn({ err }, 'environment keeper round failed') });

  return {
    runOnce: () => rounds.runOnce(),
    async close() {
      await rounds.close();
      await worker.close();
      if (!givenQueue) await queue.close();
    },
  };
}
