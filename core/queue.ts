// Queue names and job payloads: the only thing server and runner say to each other through BullMQ.
import { Queue, type ConnectionOptions } from 'bullmq';

export const BUILD_QUEUE = 'slipway-builds';
export const TEARDOWN_QUEUE = 'slipway-teardown';

/** jobId = build id. */
export interface BuildJob {
  buildId: string;
}

/** Tear down the environment of (pipeline, branch). jobId = teardownJobId(pipeline, branch). */
export interface TeardownJob {
  pipeline: string;
  branch: string;
  reason: string;
  deliveryId?: string;
  /** Set by the sweeper: tear down only if the environment is still expired once the lock is held. */
  onlyIfExpired?: boolean;
}

/**
 * The jobId of a teardown job: `teardown.<pipeline>.<branch>.<ts>`. BullMQ refuses custom ids
 * with ':' in them (git refuses ':' in branch names, but a stray one becomes '_').
 */
export function teardownJobId(pipeline: string, branch: string, at: number = Date.now()): string {
  return `teardown.${pipeline}.${branch}.${at}`.replaceAll(':', '_');
}

export interface Queues {
  builds: Queue<BuildJob>;
  teardown: Queue<TeardownJob>;
  close(): Promise<void>;
}

/**
 * `prefix` is BullMQ's key prefix (tests use their own). Build jobs are not retried by BullMQ:
 * the runner retries transient steps itself, and a stalled build is failed or re-run by the
 * stalled-job handling.
 */
export function createQueues(connection: ConnectionOptions, prefix = 'slipway-bull'): Queues {
  const builds = new Queue<BuildJob>(BUILD_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 1000, attempts: 1 },
  });
  const teardown = new Queue<TeardownJob>(TEARDOWN_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 2000 } },
  });
  return {
    builds,
    teardown,
    async close() {
      await Promise.all([builds.close(), teardown.close()]);
    },
  };
}
