// The BullMQ worker that consumes teardown jobs (branch deletion webhooks, DELETE
// /api/environments/:id, the sweeper and reconcile). The queue's attempts and backoff retry a
// teardown that failed transiently (the cluster unreachable, a 5xx); teardownEnvironment is
// idempotent, so a retry picks up where it stopped. A permanent failure (helm refusing, a bad
// record) fails the job at once: BullMQ's UnrecoverableError, no retries.
import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import { errorMessage } from '../../core/errors.ts';
import { TEARDOWN_QUEUE, type TeardownJob } from '../../core/queue.ts';
import type { EnvironmentRecord } from '../../core/records.ts';
import { isPermanent } from '../retry.ts';
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
      try {
        return await teardownEnvironment(deps, { pipeline, branch, reason, onlyIfExpired: onlyIfExpired ?? false });
      } catch (err) {
        if (isPermanent(err)) throw new UnrecoverableError(`permanent: ${errorMessage(err)}`);
        throw err;
      }
    },
    { connection, prefix: prefix ?? 'slipway-bull', concurrency: concurrency ?? 2 },
  );
  worker.on('failed', (job, err) => {
    deps.log.warn({ job: job?.id, pipeline: job?.data.pipeline, branch: job?.data.branch, attempts: job?.attemptsMade, err }, 'teardown job failed');
  });
  worker.on('error', (err) => deps.log.error({ err }, 'teardown worker error'));
  return worker;
}
