// GET /api/environments, DELETE /api/environments/:id (queues the teardown; 202).
import { Router } from 'express';
import { NotFoundError } from '../../core/errors.ts';
import { queueTeardown } from '../../core/queue.ts';
import { requireToken } from '../auth.ts';
import type { ApiDeps } from './deps.ts';

export function environmentsRouter(deps: ApiDeps): Router {
  const r = Router();

  // Torn-down environments are kept as records (deletedAt, deletedReason) but listed only on request.
  r.get('/api/environments', async (req, res) => {
    const all = await deps.envs.list();
    const withDeleted = req.query.include === 'deleted';
    res.json({ environments: withDeleted ? all : all.filter((e) => e.status !== 'deleted') });
  });

  r.delete('/api/environments/:id', requireToken(deps.apiToken), async (req, res) => {
    const id = String(req.params.id);
    const env = await deps.envs.getById(id);
    if (!env || env.status === 'deleted') throw new NotFoundError(`no environment ${id}`);
    await queueTeardown(deps.trigger.queues.teardown, { pipeline: env.pipeline, branch: env.branch, reason: 'deleted through the API' });
    deps.log.info({ environment: id, pipeline: env.pipeline, branch: env.branch }, 'teardown queued on request');
    res.status(202).json({ environment: env, teardown: 'queued' });
  });

  return r;
}
