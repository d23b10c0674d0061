// Queue names and job payloads: the only thing server and runner say to each other through BullMQ.
import { optsEncodeMap, Queue, type ConnectionOptions } from 'bullmq';
import { packJson, packMapHeader } from './msgpack.ts';

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

/**
 * Where and how a build's BullMQ job is written when Slipway writes it itself, inside the script
 * that creates the build record (core/build-store.ts): one Redis step per build instead of two,
 * and the record never exists without its job. The job is the one `queue.add('build', { buildId },
 * { jobId })` would make: the same script (BullMQ's own addStandardJob, run as a function of
 * Slipway's), the same keys, the queue's default job options.
 */
export interface JobTarget {
  /** The queue's key prefix, `<prefix>:<queue>:`: its keys and its job keys start with it. */
  queueKey: string;
  /** The job options, MessagePacked as BullMQ packs them, up to the jobId's value (the script adds it). */
  optsHead: Buffer;
}

const targets = new WeakMap<Queue<BuildJob>, JobTarget>();

export function jobTarget(queue: Queue<BuildJob>): JobTarget {
  let target = targets.get(queue);
  if (!target) targets.set(queue, (target = describeJobTarget(queue)));
  return target;
}

function describeJobTarget(queue: Queue<BuildJob>): JobTarget {
  const opts = queue.defaultJobOptions as Record<string, unknown>;
  // Options that send a job down another BullMQ script (or change its keys) are not written here.
  for (const name of ['delay', 'priority', 'parent', 'repeat', 'deduplication', 'debounce', 'lifo', 'telemetry']) {
    if (opts[name] !== undefined) throw new Error(`the build queue's default job option ${name} is not supported`);
  }
  // As BullMQ stores them: some option names shortened; jobId last, its value left to the script.
  const entries = Object.entries(opts)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [(optsEncodeMap as Record<string, string>)[k] ?? k, v] as const);
  return {
    queueKey: queue.keys['']!,
    optsHead: Buffer.concat([packMapHeader(entries.length + 1), ...entries.map(([k, v]) => packJson({ [k]: v }).subarray(1)), packJson('jobId')]),
  };
}
