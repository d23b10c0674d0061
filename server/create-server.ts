// The HTTP edge. Webhooks (POST /hooks/*) run on bare node:http, the lean hot path; everything
// else (REST, health, metrics, and whatever `extend` mounts, e.g. the dashboard) goes to express.
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import { BuildStore } from '../core/build-store.ts';
import { commitStateFor } from '../core/commit-status.ts';
import { startPoller, type HeadLister, type Poller } from '../core/poll.ts';
import { createStatusSender } from '../core/status-sender.ts';
import type { Config } from '../core/config.ts';
import { EnvStore } from '../core/env-store.ts';
import { NotFoundError, SlipwayError, ValidationError } from '../core/errors.ts';
import type { Keys } from '../core/keys.ts';
import { LogStream } from '../core/log-stream.ts';
import type { Logger } from '../core/logger.ts';
import type { Queues } from '../core/queue.ts';
import { acceptDelivery, type AcceptDeps, type AcceptedDelivery } from '../core/accept-delivery.ts';
import { withinDeadline } from '../core/deadline.ts';
import { redisReachable } from '../core/redis.ts';
import { createSpool, type Spool } from '../core/spool.ts';
import { createSuperseder, type Superseder } from '../core/supersede.ts';
import { repairUnqueued, REPAIR_GRACE_MS } from '../core/trigger.ts';
import type { LoadedPipeline } from '../pipelines/schema.ts';
import { requireToken } from './auth.ts';
import { badgeRouter } from './api/badge.ts';
import { buildsRouter } from './api/builds.ts';
import type { ApiDeps } from './api/deps.ts';
import { environmentsRouter } from './api/environments.ts';
import { eventsRouter } from './api/events.ts';
import { healthRouter } from './api/health.ts';
import { logsRouter } from './api/logs.ts';
import { pipelinesRouter } from './api/pipelines.ts';
import { sendError } from './errors.ts';
import { createMetrics, type ServerMetrics } from './metrics.ts';
import { createWebhookHandler, ADAPTERS } from './webhooks/intake.ts';
import { indexPipelines, type PipelineIndex } from './webhooks/match.ts';
import type { Forge } from './webhooks/types.ts';

export interface ServerDeps {
  redis: Redis;
  keys: Keys;
  queues: Queues;
  pipelines: LoadedPipeline[];
  config: Pick<Config, 'apiToken' | 'publicUrl'> & Partial<Pick<Config, 'duplicatePushSeconds'>>;
  /**
   * The webhook spool's file (core/spool.ts; `slipway server` and `up` put it in SLIPWAY_WORKDIR).
   * Without one, a webhook waits for Redis however long it takes.
   */
  spoolFile?: string;
  /** How long a webhook waits for Redis before it is spooled (default 750 ms). */
  webhookDeadlineMs?: number;
  /** How often queued builds without a job are looked for (default 30 s). */
  repairIntervalMs?: number;
  log: Logger;
  /** Where webhook secrets are read (source.secret.env names a variable here). */
  env?: NodeJS.ProcessEnv;
  maxBodyBytes?: number;
  heartbeatSeconds?: number;
  defaultMetrics?: boolean;
  /** Mount more routes (the dashboard) on the express app. */
  extend?: (app: Express, deps: ApiDeps) => void;
  /** Lists branch heads (runner/git.ts) for on.push.poll; without it nothing is polled. */
  git?: HeadLister;
  /** How often the poller looks for pipelines due a poll (default 1 s). */
  pollTickMs?: number;
}

export interface SlipwayServer {
  handler: RequestListener;
  app: Express;
  metrics: ServerMetrics;
  /** Swap the pipeline set (e.g. after the files changed). */
  setPipelines(pipelines: LoadedPipeline[]): void;
  /** Supersedes still running in the background. */
  superseder: Superseder;
  /** The webhook spool, when the server has one. */
  spool?: Spool;
  /** The poller of branch heads (on.push.poll), when the server was given `git`. */
  poller?: Poller;
  /** Adds the job of queued builds left without one (also run on a timer). */
  repairJobs(): Promise<string[]>;
  /**
   * Ends live SSE streams; its own Redis connection closes once background supersedes are done
   * (`superseder.idle()` to wait for them). deps.redis and the queues are the caller's.
   */
  close(): void;
}

export function createServer(deps: ServerDeps): SlipwayServer {
  const env = deps.env ?? process.env;
  let pipelines = deps.pipelines;
  const store = new BuildStore(deps.redis, deps.keys);
  const metrics = createMetrics(deps.queues, {
    defaultMetrics: deps.defaultMetrics ?? false,
    recentBuilds: async () => {
      const lists = await Promise.all(pipelines.map((p) => store.list(p.pipeline.metadata.name, { limit: 100 })));
      return lists.flat().map((b) => ({ pipeline: b.pipeline, status: b.status }));
    },
  });
  let index: PipelineIndex = indexPipelines(pipelines);
  const shutdown = new AbortController();
  // The hot path's own connection (a build is one script on it; see core/build-store.ts). Not
  // auto-pipelined: webhooks arrive one per event-loop turn, so an auto-pipeline batches nothing
  // and costs a Pipeline per command (measured: ~15% more CPU per webhook).
  const hot = deps.redis.duplicate();
  hot.on('error', () => undefined); // deps.redis reports connection trouble already
  const pipelineNamed = (name: string) => pipelines.find((p) => p.pipeline.metadata.name === name)?.pipeline;
  const statuses = createStatusSender({ redis: deps.redis, keys: deps.keys, publicUrl: deps.config.publicUrl, log: deps.log, env });
  const trigger: AcceptDeps = {
    redis: hot,
    keys: deps.keys,
    builds: new BuildStore(hot, deps.keys),
    logs: new LogStream(deps.redis, deps.keys),
    queues: deps.queues,
    log: deps.log,
    onStatus: (pipeline, status) => metrics.builds.inc({ pipeline, status }),
    // A pending commit status for pipelines that report to their forge, sent after the answer.
    onQueued: (build) => {
      const pipeline = pipelineNamed(build.pipeline);
      if (!pipeline?.source.status || !build.sha) return;
      void statuses.send({ build, pipeline, phase: 'queued', state: 'pending', description: 'queued' });
    },
    // A build cancelled before it ran (superseded, or on request) gets its final status here.
    onFinished: (build) => {
      if (!build.sha) return;
      const pipeline = pipelineNamed(build.pipeline);
      const state = commitStateFor(build.status);
      void statuses.send({ build, ...(pipeline ? { pipeline } : {}), phase: 'final', state, ...(build.reason ? { description: build.reason } : {}) });
    },
    ...(deps.config.duplicatePushSeconds !== undefined ? { duplicatePushSeconds: deps.config.duplicatePushSeconds } : {}),
  };
  const superseder = createSuperseder(trigger);
  const accepted = (outcome: AcceptedDelivery): void => {
    for (const { build, firstOnBranch } of outcome.builds) if (!firstOnBranch) superseder.later(build);
  };
  const spool: Spool | undefined = deps.spoolFile
    ? createSpool({
        file: deps.spoolFile,
        log: deps.log,
        ready: () => redisReachable(hot),
        replay: async (delivery) => {
          const outcome = await withinDeadline(acceptDelivery(trigger, delivery), 5000);
          if (outcome === undefined) throw new Error('no answer from redis within 5000 ms');
          return accepted(outcome);
        },
      })
    : undefined;
  // A record whose process died before its Queue.add gets its job here (see core/trigger.ts).
  const repair = (): void => {
    repairUnqueued(trigger).catch((err: unknown) => deps.log.warn({ err }, 'job repair failed'));
  };
  const poller = deps.git
    ? startPoller(
        {
          redis: deps.redis,
          keys: deps.keys,
          git: deps.git,
          pipelines: () => pipelines,
          wantsBranch: (loaded, branch) => {
            const f = index.filters(loaded);
            return f.branches(branch) && !f.ignoreBranches(branch);
          },
          accept: async (delivery) => {
            const outcome = await acceptDelivery(trigger, delivery);
            accepted(outcome);
            return outcome;
          },
          log: deps.log,
        },
        deps.pollTickMs !== undefined ? { tickMs: deps.pollTickMs } : {},
      )
    : undefined;
  const repairTimer = setInterval(repair, deps.repairIntervalMs ?? 3 * REPAIR_GRACE_MS);
  repairTimer.unref();
  repair();
  const apiDeps: ApiDeps = {
    trigger,
    superseder,
    envs: new EnvStore(deps.redis, deps.keys),
    pipelines: () => pipelines,
    apiToken: deps.config.apiToken,
    publicUrl: deps.config.publicUrl,
    log: deps.log,
    shutdown: shutdown.signal,
    ...(deps.heartbeatSeconds !== undefined ? { heartbeatSeconds: deps.heartbeatSeconds } : {}),
  };

  const webhook = createWebhookHandler({
    accept: (delivery) => acceptDelivery(trigger, delivery),
    accepted,
    ...(spool ? { spool } : {}),
    ...(deps.webhookDeadlineMs !== undefined ? { deadlineMs: deps.webhookDeadlineMs } : {}),
    index: () => index,
    secret: (name) => env[name] || undefined,
    publicUrl: deps.config.publicUrl,
    metrics,
    log: deps.log,
    ...(deps.maxBodyBytes !== undefined ? { maxBodyBytes: deps.maxBodyBytes } : {}),
  });

  for (const { pipeline } of pipelines) {
    const ref = pipeline.source.secret;
    if (ref && !env[ref.env]) deps.log.warn({ pipeline: pipeline.metadata.name, variable: ref.env }, 'webhook secret variable is not set: its webhooks will be refused');
    if (!ref) deps.log.warn({ pipeline: pipeline.metadata.name }, 'pipeline has no webhook secret: unsigned webhooks are accepted');
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const start = performance.now();
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, (performance.now() - start) / 1000);
    });
    next();
  });
  app.use(express.json({ limit: '100kb' }));
  app.use(healthRouter(deps.redis, metrics, spool));
  app.use(pipelinesRouter(apiDeps));
  app.use(buildsRouter(apiDeps));
  app.use(logsRouter(apiDeps));
  app.use(environmentsRouter(apiDeps));
  app.use(eventsRouter(apiDeps, deps.redis, deps.keys));
  app.use(badgeRouter(apiDeps));
  app.get('/api/token', requireToken(apiDeps.apiToken), (_req, res) => void res.json({ valid: true }));
  deps.extend?.(app, apiDeps);
  app.use((req: Request) => {
    throw new NotFoundError(`no route ${req.method} ${req.path}`);
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; expose?: boolean; message?: string };
    if (e.type === 'entity.parse.failed') return void sendError(res, new ValidationError('the body is not valid JSON'));
    if (e.type === 'entity.too.large') return void sendError(res, new ValidationError('the body is too large'));
    // The request's own fault, found by express or the body parser (an unsupported charset or
    // content encoding, a path that does not decode): a 400, not an internal error.
    if (!(err instanceof SlipwayError) && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return void sendError(res, new ValidationError(e.expose && e.message ? e.message : 'the request is malformed'));
    }
    sendError(res, err, deps.log);
  });

  const handler: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (req.method === 'POST' && url.startsWith('/hooks/')) {
      const q = url.indexOf('?');
      const forge = url.slice('/hooks/'.length, q === -1 ? undefined : q);
      // Own keys only: `in` would match Object.prototype's names (__proto__, constructor, toString).
      if (Object.hasOwn(ADAPTERS, forge)) {
        const start = performance.now();
        res.once('finish', () => {
          metrics.httpDuration.observe({ method: 'POST', route: '/hooks/:forge', status: String(res.statusCode) }, (performance.now() - start) / 1000);
        });
        webhook(req, res, forge as Forge);
        return;
      }
    }
    app(req, res);
  };

  return {
    handler,
    app,
    metrics,
    setPipelines(next) {
      pipelines = next;
      index = indexPipelines(next);
    },
    superseder,
    ...(spool ? { spool } : {}),
    ...(poller ? { poller } : {}),
    repairJobs: () => repairUnqueued(trigger),
    close() {
      shutdown.abort();
      clearInterval(repairTimer);
      void Promise.all([superseder.idle(), spool?.close(), poller?.close()]).finally(() => hot.disconnect());
    },
  };
}


/** Listens on host:port (port 0 picks a free one) and resolves with the server and its base URL. */
export async function listen(slipway: SlipwayServer, port: number, host: string): Promise<{ server: Server; url: string }> {
  const server = createHttpServer(slipway.handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return { server, url: `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}` };
}
