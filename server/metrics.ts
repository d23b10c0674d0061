// Prometheus metrics, in a Registry of this server instance's own (tests run several servers).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queues } from '../core/queue.ts';
import type { BuildStatus } from '../core/records.ts';

export interface ServerMetrics {
  registry: Registry;
  webhooksReceived: Counter<'forge'>;
  webhooksRejected: Counter<'forge' | 'reason'>;
  /** Deliveries written to the spool because Redis did not answer in time. */
  webhooksSpooled: Counter<'forge'>;
  builds: Counter<'pipeline' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

export interface MetricsOptions {
  defaultMetrics?: boolean;
  /** The statuses of each pipeline's recent builds, read at scrape time (they change in runners too). */
  recentBuilds?: () => Promise<{ pipeline: string; status: BuildStatus }[]>;
}

export function createMetrics(queues: Queues, options: MetricsOptions = {}): ServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'slipway_' });
  const webhooksReceived = new Counter({
    name: 'slipway_webhooks_received_total',
    help: 'Webhook requests received, by forge',
    labelNames: ['forge'] as const,
    registers: [registry],
  });
  const webhooksRejected = new Counter({
    name: 'slipway_webhooks_rejected_total',
    help: 'Webhook requests rejected, by forge and reason',
    labelNames: ['forge', 'reason'] as const,
    registers: [registry],
  });
  const webhooksSpooled = new Counter({
    name: 'slipway_webhooks_spooled_total',
    help: 'Webhook deliveries spooled to disk because Redis did not answer in time, by forge',
    labelNames: ['forge'] as const,
    registers: [registry],
  });
  const builds = new Counter({
    name: 'slipway_builds_total',
    help: 'Builds this server queued or cancelled, by pipeline and status',
    labelNames: ['pipeline', 'status'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'slipway_queue_depth',
    help: 'Jobs in the build and teardown queues, by state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const states = ['waiting', 'active', 'delayed', 'prioritized'] as const;
      const [b, t] = await Promise.all([queues.builds.getJobCounts(...states), queues.teardown.getJobCounts(...states)]);
      for (const s of states) {
        this.set({ queue: 'builds', state: s }, b[s] ?? 0);
        this.set({ queue: 'teardown', state: s }, t[s] ?? 0);
      }
    },
  });
  const recent = options.recentBuilds;
  if (recent) {
    new Gauge({
      name: 'slipway_recent_builds',
      help: 'Statuses of each pipeline\'s last 100 builds',
      labelNames: ['pipeline', 'status'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const counts = new Map<string, { pipeline: string; status: BuildStatus; n: number }>();
        for (const b of await recent()) {
          const k = `${b.pipeline}\u0000${b.status}`;
          const c = counts.get(k) ?? { pipeline: b.pipeline, status: b.status, n: 0 };
          c.n++;
          counts.set(k, c);
        }
        for (const c of counts.values()) this.set({ pipeline: c.pipeline, status: c.status }, c.n);
      },
    });
  }
  const httpDuration = new Histogram({
    name: 'slipway_http_request_duration_seconds',
    help: 'HTTP request durations, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, webhooksReceived, webhooksRejected, webhooksSpooled, builds, httpDuration };
}
