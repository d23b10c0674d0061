// GET /healthz (the process answers), /readyz (Redis reachable), /metrics (Prometheus).
import { Router } from 'express';
import type { Redis } from 'ioredis';
import { redisReachable } from '../../core/redis.ts';
import type { ServerMetrics } from '../metrics.ts';

export function healthRouter(redis: Redis, metrics: ServerMetrics): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  r.get('/readyz', async (_req, res) => {
    const ok = await redisReachable(redis);
    res.status(ok ? 200 : 503).json(ok ? { ok: true } : { ok: false, error: { type: 'unavailable', message: 'redis is not reachable' } });
  });
  r.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return r;
}
