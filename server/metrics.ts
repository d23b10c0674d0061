// Prometheus metrics, in a Registry of this server instance's own (tests run several servers).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queues } from '../core/queue.ts';

export interface ServerMetrics {
  registry: Registry;
  webhooksReceived: Counter<'forge'>;
  webhooksRejected: Counter<'forge' | 'reason'>;
  builds: Counter<'pipeline' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

export function createMetrics(queues: Queues, options: { defaultMetrics?: boolean } = {}): ServerMetrics {
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
  const httpDuration = new Histogram({
    name: 'slipway_http_request_duration_seconds',
    help: 'HTTP request durations, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, webhooksReceived, webhooksRejected, builds, httpDuration };
}
