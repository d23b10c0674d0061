// The BullMQ worker that consumes teardown jobs (branch deletion webhooks, DELETE
// /api/environments/:id, the sweeper and reconcile). The queue's attempts and backoff retry a
// failed teardown; teardownEnvironment is idempotent, so a retry picks up where it stopped.
import { Worker, type ConnectionOptions } from 'bullmq';
import { TEARDOWN_QUEUE, type TeardownJob } from '../../core/queue.ts';
import type { EnvironmentRecord } from '../../core/records.ts';
import { teardownEnvironment, type TeardownDeps } from './teardown.ts';

export interface TeardownWorkerOptions extends TeardownDeps {
  connection: ConnectionOptions;
  /** BullMQ key prefix (tests use their own). */
  prefix?: string;
  concurrency?: number;
}

export function createTeardownWorker(opts: TeardownWorkerOptions): Worker<TeardownJob, EnvironmentRecord | undefined> {
  const { connection, prefix, concurrency, ...deps } = opts;
  const worker = new Worker<TeardownJob, EnvironmentRecord | undefined>(
    TEARDOWN_QUEUE,
    async (job) => {
      deps.log.info({ job: job.id, pipeline: job.data.pipeline, branch: job.data.branch, attempt: job.attemptsMade + 1 }, 'teardown job started');
      const { pipeline, branch, reason, onlyIfExpired } = job.data;
      return teardownEnvironment(deps, { pipeline, branch, reason, onlyIfExpired: onlyIfExpired ?? false });
    },
    { connection, prefix: prefix ?? 'slipway-bull', concurrency: concurrency ?? 2 },
  );
  worker.on('failed', (job, err) => {
    deps.log.warn({ job: job?.id, pipeline: job?.data.pipeline, branch: job?.data.branch, attempts: job?.attemptsMade, err }, 'teardown job failed');
  });
  worker.on('error', (err) => deps.log.error({ err }, 'teardown worker error'));
  return worker;
}
