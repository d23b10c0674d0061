// The BullMQ worker of build jobs: load the record (skip it if it is already final or its
// cancel was asked), run its stages, keep the record and the log stream up to date, and end the
// log with the final status. A runner lost mid-build (SIGKILL, crash) stalls its job: BullMQ
// gives it to another runner once (re-run from scratch, the log says so); a second stall fails
// the build with reason 'runner lost'.
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { BuildStore } from '../core/build-store.ts';
import { commitStateFor } from '../core/commit-status.ts';
import { errorMessage } from '../core/errors.ts';
import { nowIso } from '../core/ids.ts';
import type { LogStream } from '../core/log-stream.ts';
import type { Logger } from '../core/logger.ts';
import { BUILD_QUEUE, type BuildJob } from '../core/queue.ts';
import { closeStages, isFinal, type BuildRecord, type BuildStatus, type StageName } from '../core/records.ts';
import type { Pipeline } from '../pipelines/schema.ts';
import type { RunnerDeps } from './runner-deps.ts';
import { createLogBatcher } from './log-batcher.ts';
import { runBuild } from './run-build.ts';

export const RUNNER_LOST = 'runner lost';

export interface BuildWorkerOptions {
  connection: ConnectionOptions;
  bullPrefix: string;
  concurrency: number;
  store: BuildStore;
  logs: LogStream;
  /** The pipeline of that name as currently loaded, or undefined. */
  pipelines: (name: string) => Pipeline | undefined;
  deps: RunnerDeps;
  log: Logger;
  /** BullMQ job lock; a runner silent this long is considered lost. Default 30 s. */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for. Default 30 s. */
  stalledIntervalMs?: number;
  /** Re-runs of a build whose runner was lost before it fails. Default 1. */
  maxStalledCount?: number;
}

interface ActiveBuild {
  controller: AbortController;
  stage?: StageName;
  line(text: string): void;
}

export interface BuildWorker {
  worker: Worker<BuildJob>;
  /** Aborts a running build here, unless its deploy has started. */
  cancel(buildId: string, reason: string): 'aborted' | 'ignored' | 'not-here';
  /** Stops taking jobs; running builds get `graceMs` to finish, then are cancelled. */
  close(graceMs?: number): Promise<void>;
}

export function createBuildWorker(opts: BuildWorkerOptions): BuildWorker {
  const { store, logs, log } = opts;
  const active = new Map<string, ActiveBuild>();

  /** Ends a build that did not run to its report stage, final commit status included. */
  const finish = async (id: string, status: BuildStatus, reason: string) => {
    let ended: BuildRecord | undefined;
    await store.update(id, (r) => {
      const at = nowIso();
      ended = isFinal(r.status) ? undefined : { ...r, status, reason, finishedAt: at, stages: closeStages(r.stages, status, at) };
      return ended;
    });
    await logs.append(id, [`build ${status}: ${reason}`]);
    await logs.end(id, status);
    const statuses = opts.deps.statuses;
    if (ended && statuses && ended.sha) {
      const pipeline = opts.pipelines(ended.pipeline);
      await statuses.send({ build: ended, ...(pipeline ? { pipeline } : {}), phase: 'final', state: commitStateFor(status), description: reason.slice(0, 140) });
    }
  };

  const processJob = async (job: Job<BuildJob>): Promise<BuildStatus | 'skipped'> => {
    const id = job.data.buildId;
    const record = await store.get(id);
    if (!record) {
      log.warn({ build: id }, 'build record missing, job dropped');
      return 'skipped';
    }
    if (isFinal(record.status)) return 'skipped';
    if (record.cancelRequested) {
      await finish(id, 'cancelled', record.cancelRequested);
      return 'cancelled';
    }
    const pipeline = opts.pipelines(record.pipeline);
    if (!pipeline) {
      await finish(id, 'failed', `pipeline ${record.pipeline} is not loaded on this runner`);
      return 'failed';
    }

    const batcher = createLogBatcher((lines) => logs.append(id, lines), log);
    if (record.status === 'running') batcher.push([`${RUNNER_LOST}: the previous runner stopped mid-build; running it again`]);
    const controller = new AbortController();
    const entry: ActiveBuild = { controller, line: (t) => batcher.push([t]) };
    active.set(id, entry);
    log.info({ build: id }, 'build started');
    try {
      const result = await runBuild({
        record,
        pipeline,
        deps: opts.deps,
        signal: controller.signal,
        onStage: (stage) => {
          entry.stage = stage;
        },
        reporter: {
          update: async (change) => {
            const next = await store.update(id, (r: BuildRecord) => change(r));
            if (next.cancelRequested && !controller.signal.aborted && entry.stage !== 'deploy') controller.abort(next.cancelRequested);
            return next;
          },
          lines: (lines) => batcher.push(lines),
        },
      });
      await batcher.flush();
      await logs.end(id, result.status);
      log.info({ build: id, status: result.status }, 'build finished');
      return result.status;
    } catch (err) {
      // Not a stage failure (those end in runBuild) but Redis or a bug: the build must not stay running.
      await batcher.flush();
      log.error({ build: id, err }, 'build crashed');
      await finish(id, 'failed', `runner error: ${errorMessage(err)}`).catch(() => undefined);
      return 'failed';
    } finally {
      active.delete(id);
    }
  };

  const worker = new Worker<BuildJob>(BUILD_QUEUE, processJob, {
    connection: opts.connection,
    prefix: opts.bullPrefix,
    concurrency: opts.concurrency,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? 1,
  });
  worker.on('failed', (job, err) => {
    // Past maxStalledCount BullMQ fails the job without running us: the record says why.
    if (!job) return;
    log.warn({ build: job.data.buildId, err }, 'build job failed');
    void store
      .get(job.data.buildId)
      .then((r) => (r && !isFinal(r.status) ? finish(r.id, 'failed', RUNNER_LOST) : undefined))
      .catch(() => undefined);
  });
  worker.on('error', (err) => log.error({ err }, 'build worker error'));

  return {
    worker,
    cancel(buildId, reason) {
      const entry = active.get(buildId);
      if (!entry) return 'not-here';
      if (entry.stage === 'deploy') {
        entry.line(`cancel ignored: the deploy has started and will finish (${reason})`);
        return 'ignored';
      }
      entry.controller.abort(reason);
      return 'aborted';
    },
    async close(graceMs = 60_000) {
      const closing = worker.close();
      const timer = setTimeout(() => {
        for (const [, entry] of active) {
          if (entry.stage !== 'deploy') entry.controller.abort('runner stopped: its grace period ran out');
        }
      }, graceMs);
      try {
        await closing;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
