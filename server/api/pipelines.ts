// GET /api/pipelines, GET and POST /api/pipelines/:name/builds.
import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { BUILD_STATUSES, type BuildRecord } from '../../core/records.ts';
import { stripCredentials } from '../../core/repo-url.ts';
import { queueBuild } from '../../core/trigger.ts';
import type { LoadedPipeline } from '../../pipelines/schema.ts';
import { requester, requireToken } from '../auth.ts';
import type { ApiDeps } from './deps.ts';
import { presentBuild } from './present.ts';

const ListQuery = z.strictObject({
  branch: z.string().min(1).optional(),
  status: z.enum(BUILD_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  /** Paging: builds numbered below this. */
  before: z.coerce.number().int().min(1).optional(),
});

/** Recent builds read to find each branch's latest for GET /api/pipelines. */
const BRANCH_SCAN = 200;

export const ManualTrigger = z.strictObject({
  branch: z.string().min(1).max(255).optional(),
  sha: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/i, 'must be a commit sha (hex)')
    .optional(),
  params: z.record(z.string(), z.string()).optional(),
});

function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

export function findPipeline(deps: ApiDeps, name: string): LoadedPipeline {
  const found = deps.pipelines().find((p) => p.pipeline.metadata.name === name);
  if (!found) throw new NotFoundError(`no pipeline ${name}`);
  return found;
}


export function pipelinesRouter(deps: ApiDeps): Router {
  const r = Router();
  const { builds } = deps.trigger;

  r.get('/api/pipelines', async (_req, res) => {
    const out = await Promise.all(
      deps.pipelines().map(async ({ pipeline }) => {
        const recent = await builds.list(pipeline.metadata.name, { limit: BRANCH_SCAN });
        // each branch's (or tag's) latest build among the recent ones, newest first
        const refs = new Map<string, BuildRecord>();
        for (const b of recent) {
          const ref = b.branch ?? (b.tag !== undefined ? `tag ${b.tag}` : undefined);
          if (ref !== undefined && !refs.has(ref)) refs.set(ref, b);
        }
        return {
          name: pipeline.metadata.name,
          repo: stripCredentials(pipeline.source.repo),
          lastBuild: recent[0] ? presentBuild(recent[0]) : null,
          branches: [...refs].map(([ref, b]) => ({ ref, lastBuild: presentBuild(b) })),
        };
      }),
    );
    res.json({ pipelines: out });
  });

  r.get('/api/pipelines/:name/builds', async (req, res) => {
    const name = String(req.params.name);
    const q = ListQuery.safeParse(req.query);
    if (!q.success) throw new ValidationError(zodMessage(q.error));
    const known = deps.pipelines().some((p) => p.pipeline.metadata.name === name);
    const list = await builds.list(name, q.data);
    if (!known && list.length === 0) throw new NotFoundError(`no pipeline ${name}`);
    res.json({ builds: list.map(presentBuild) });
  });

  r.post('/api/pipelines/:name/builds', requireToken(deps.apiToken), async (req, res) => {
    const { pipeline } = findPipeline(deps, String(req.params.name));
    const body = ManualTrigger.safeParse(req.body ?? {});
    if (!body.success) throw new ValidationError(zodMessage(body.error));
    const { branch, sha, params } = body.data;
    if (branch === undefined && sha === undefined) throw new ValidationError('give a branch, a sha, or both');
    // Without a sha the record says sha: '' and the runner resolves the branch head.
    const build: BuildRecord = await queueBuild(deps.trigger, {
      pipeline: pipeline.metadata.name,
      trigger: { type: 'manual', by: requester(req) },
      repo: pipeline.source.repo,
      ...(branch !== undefined ? { branch } : {}),
      sha: sha?.toLowerCase() ?? '',
      ...(params ? { params } : {}),
    });
    deps.superseder.later(build);
    res.status(201).json(presentBuild(build));
  });

  return r;
}
