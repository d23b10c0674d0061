// GET /api/builds/:id, POST /api/builds/:id/rerun and /cancel.
import { Router } from 'express';
import { requestCancel } from '../../core/cancel-build.ts';
import { rerunBuild } from '../../core/trigger.ts';
import { requester, requireToken } from '../auth.ts';
import type { ApiDeps } from './deps.ts';
import { presentBuild } from './present.ts';


export function buildsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { builds } = deps.trigger;

  r.get('/api/builds/:id', async (req, res) => {
    res.json(presentBuild(await builds.require(String(req.params.id))));
  });

  r.post('/api/builds/:id/rerun', requireToken(deps.apiToken), async (req, res) => {
    const build = await rerunBuild(deps.trigger, String(req.params.id), requester(req));
    res.status(201).json(presentBuild(build));
  });

  r.post('/api/builds/:id/cancel', requireToken(deps.apiToken), async (req, res) => {
    const id = String(req.params.id);
    const outcome = await requestCancel(deps.trigger, id, requester(req));
    res.status(202).json({ outcome, build: presentBuild(await builds.require(id)) });
  });

  return r;
}
