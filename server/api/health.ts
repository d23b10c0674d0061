// GET /healthz (the process answers), /readyz (Redis reachable), /metrics (Prometheus).
import { Router } from 'express';
import type { Redis } from 'ioredis';
import { redisReachable } from '../../core/redis.ts';
import type { Spool } from '../../core/spool.ts';
import type { ServerMetrics } from '../metrics.ts';

/**
 * With a spool, an unreachable Redis leaves the server ready but degraded: webhooks are still
 * accepted (into the spool), so a load balancer should keep sending them. Without one it is not ready.
 */
export function healthRouter(redis: Redis, metrics: ServerMetrics, spool?: Spool): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  r.get('/readyz', async (_req, res) => {
    const ok = await redisReachable(redis);
    const spooled = spool?.pending() ?? 0;
    if (ok && spooled === 0) return void res.json({ ok: true });
    if (spool) {
      const message = ok ? 'replaying webhook deliveries spooled while redis was unreachable' : 'redis is not reachable: webhook deliveries are spooled';
      return void res.json({ ok: true, degraded: { message, redis: ok, spooled } });
    }
    res.status(503).json({ ok: false, error: { type: 'unavailable', message: 'redis is not reachable' } });
  });
  r.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return r;
}
