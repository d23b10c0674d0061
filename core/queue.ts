// Queue names and job payloads: the only thing server and runner say to each other through BullMQ,
// used through its public API only (Queue.add with a jobId, Queue.remove).
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Logger } from './logger.ts';

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

/**
 * Build jobs are not retried by BullMQ: the runner retries transient steps itself, and a stalled
 * build is failed or re-run by the stalled-job handling.
 */
export const BUILD_JOB_OPTIONS: JobsOptions = { removeOnComplete: 1000, removeOnFail: 1000, attempts: 1 };
export const TEARDOWN_JOB_OPTIONS: JobsOptions = { removeOnComplete: 1000, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 2000 } };

export interface Queues {
  builds: Queue<BuildJob>;
  teardown: Queue<TeardownJob>;
  close(): Promise<void>;
}

export const DEFAULT_BULL_PREFIX = 'slipway-bull';

/** The teardown queue (the runner's keeper opens one of its own when not given one). */
export function createTeardownQueue(connection: ConnectionOptions, prefix = DEFAULT_BULL_PREFIX): Queue<TeardownJob> {
  return new Queue<TeardownJob>(TEARDOWN_QUEUE, { connection, prefix, defaultJobOptions: TEARDOWN_JOB_OPTIONS });
}

/**
 * `prefix` is BullMQ's key prefix (tests use their own). Connection errors go to `log` at debug level
 * (the server's own Redis connection reports an outage once; BullMQ would print every reconnect).
 */
export function createQueues(connection: ConnectionOptions, prefix = DEFAULT_BULL_PREFIX, log?: Logger): Queues {
  const builds = new Queue<BuildJob>(BUILD_QUEUE, { connection, prefix, defaultJobOptions: BUILD_JOB_OPTIONS });
  const teardown = createTeardownQueue(connection, prefix);
  for (const q of [builds, teardown]) q.on('error', (err) => log?.debug({ queue: q.name, err }, 'queue connection error'));
  return {
    builds,
    teardown,
    async close() {
      await Promise.all([builds.close(), teardown.close()]);
    },
  };
}

/** Adds the build's job (jobId = build id). Adding it again while it exists is a no-op (BullMQ keeps one job per id). */
export async function addBuildJob(queue: Queue<BuildJob>, buildId: string): Promise<void> {
  await queue.add('build', { buildId }, { jobId: buildId });
}

/** Queues the teardown of (pipeline, branch): the one way every caller (webhook, API, keeper) does it. */
export async function queueTeardown(queue: Queue<TeardownJob>, job: TeardownJob): Promise<string> {
  const jobId = teardownJobId(job.pipeline, job.branch);
  await queue.add('teardown', job, { jobId });
  return jobId;
}
