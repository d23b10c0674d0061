// The webhook hot path, on bare node:http: read the body under a size limit, parse, match the
// repository, verify the HMAC, plan (server/webhooks/plan.ts), have the plan done once
// (core/accept-delivery.ts: claim, records, jobs or teardowns), answer. Should Redis not answer
// within the deadline, the delivery is spooled to disk (core/spool.ts) and answered 202 all the same.
// Superseding older builds happens after the answer.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AcceptedDelivery, PlannedDelivery } from '../../core/accept-delivery.ts';
import { NotFoundError, SlipwayError, UnavailableError, WebhookError } from '../../core/errors.ts';
import { withinDeadline } from '../../core/deadline.ts';
import type { Logger } from '../../core/logger.ts';
import type { Spool } from '../../core/spool.ts';
import { sendError, sendJson } from '../errors.ts';
import type { ServerMetrics } from '../metrics.ts';
import { gitea } from './gitea.ts';
import { github } from './github.ts';
import { gogs } from './gogs.ts';
import type { PipelineIndex } from './match.ts';
import { plan } from './plan.ts';
import { signatureValid } from './signature.ts';
import type { Forge, ForgeAdapter } from './types.ts';

/** 5 MiB: far above a normal push payload, low enough that a flood cannot exhaust memory. */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
/** How long the intake waits for Redis before it spools the delivery: the answer stays under 1 s. */
export const DEFAULT_DEADLINE_MS = 750;

export const ADAPTERS: Record<Forge, ForgeAdapter> = { github, gogs, gitea };

export interface IntakeDeps {
  /** Does what a planned delivery asks, once (core/accept-delivery.ts). */
  accept: (delivery: PlannedDelivery) => Promise<AcceptedDelivery>;
  /** Called with what accept did, after the answer (superseding). */
  accepted: (outcome: AcceptedDelivery) => void;
  /** Where deliveries go when Redis does not answer within deadlineMs; without one the intake waits for Redis. */
  spool?: Spool;
  deadlineMs?: number;
  index: () => PipelineIndex;
  /** The webhook secret behind a pipeline's `source.secret.env`. */
  secret: (envName: string) => string | undefined;
  publicUrl: string;
  metrics: ServerMetrics;
  log: Logger;
  maxBodyBytes?: number;
}


function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new WebhookError('payload-too-large', `the body is over the ${limit}-byte limit`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        reject(new WebhookError('payload-too-large', `the body is over the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

const REJECT_REASON: Partial<Record<string, string>> = {
  signature: 'signature',
  webhook: 'malformed',
  'payload-too-large': 'too-large',
  'not-found': 'unknown-repository',
};

export function createWebhookHandler(deps: IntakeDeps): (req: IncomingMessage, res: ServerResponse, forge: Forge) => void {
  const limit = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const buildUrl = (id: string) => `${deps.publicUrl}/api/builds/${encodeURIComponent(id)}`;

  async function handle(req: IncomingMessage, res: ServerResponse, forge: Forge): Promise<void> {
    const adapter = ADAPTERS[forge];
    const body = await readBody(req, limit);
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      throw new WebhookError('webhook', 'the body is not valid JSON');
    }
    const deliveryId = adapter.deliveryId(req.headers) || createHash('sha256').update(body).digest('hex');
    const event = adapter.normalise(req.headers, payload, deliveryId);
    if (event.kind === 'ping') return sendJson(res, 200, { ignored: 'ping' });
    const urls = event.kind === 'push' ? event.push.repoUrls : event.repoUrls;
    const candidates = deps.index().byRepo(urls);
    if (candidates.length === 0) {
      throw new NotFoundError('no pipeline is configured for this repository');
    }
    const given = adapter.signature(req.headers);
    const verified = candidates.filter((c) => {
      const ref = c.pipeline.source.secret;
      if (!ref) return true; // a pipeline without a secret accepts unsigned hooks
      const secret = deps.secret(ref.env);
      return secret !== undefined && given !== undefined && signatureValid(secret, body, given);
    });
    if (verified.length === 0) {
      throw new WebhookError('signature', given === undefined ? 'the signature header is missing' : 'the signature does not match');
    }
    if (event.kind === 'ignored') return sendJson(res, 200, { ignored: event.reason });

    const planned = plan(verified, event.push, (p) => deps.index().filters(p));
    if (planned.builds.length === 0 && planned.teardowns.length === 0) return sendJson(res, 200, { ignored: planned.ignored.join('; ') });
    const delivery: PlannedDelivery = { forge, deliveryId, builds: planned.builds, teardowns: planned.teardowns };
    const work = deps.accept(delivery);
    // Without a spool there is nowhere to put the delivery: wait for Redis as long as it takes.
    const spool = deps.spool;
    const outcome = spool ? await withinDeadline(work, deps.deadlineMs ?? DEFAULT_DEADLINE_MS) : await work;
    if (outcome === undefined) {
      // Redis did not answer in time. The attempt goes on (and supersedes when it ends); the spool
      // makes the delivery durable meanwhile, and its replay finds a duplicate if the attempt won.
      work.then(deps.accepted, (err: unknown) => deps.log.warn({ forge, delivery: deliveryId, err }, 'late webhook attempt failed: the spool replays it'));
      try {
        await spool!.add(delivery); // only withinDeadline gives undefined
      } catch (err) {
        deps.log.error({ forge, delivery: deliveryId, err }, 'webhook spool write failed');
        throw new UnavailableError('redis is not answering and the spool cannot be written; try again later');
      }
      deps.metrics.webhooksSpooled.inc({ forge });
      return sendJson(res, 202, { spooled: true, builds: [], ...(planned.teardowns.length ? { teardowns: planned.teardowns.map(({ pipeline, branch }) => ({ pipeline, branch })) } : {}) });
    }
    if (outcome.duplicate) return sendJson(res, 200, { ignored: outcome.duplicate === 'push' ? 'duplicate push' : 'duplicate delivery' });
    const ignored = [...planned.ignored, ...outcome.duplicatePushes.map((p) => (verified.length > 1 ? `${p}: duplicate push` : 'duplicate push'))];
    sendJson(res, 202, {
      builds: outcome.builds.map(({ build: b }) => ({ id: b.id, number: b.number, pipeline: b.pipeline, url: buildUrl(b.id) })),
      ...(outcome.teardowns.length ? { teardowns: outcome.teardowns } : {}),
      ...(ignored.length && outcome.builds.length ? { ignored: ignored.join('; ') } : {}),
    });
    deps.accepted(outcome);
  }

  return (req, res, forge) => {
    deps.metrics.webhooksReceived.inc({ forge });
    handle(req, res, forge).catch((err: unknown) => {
      const type = err instanceof SlipwayError ? err.type : 'internal';
      deps.metrics.webhooksRejected.inc({ forge, reason: REJECT_REASON[type] ?? 'error' });
      if (type === 'internal' || !(err instanceof SlipwayError)) deps.log.error({ forge, err }, 'webhook failed');
      else deps.log.info({ forge, reason: type, message: err.message }, 'webhook rejected');
      if (type === 'payload-too-large' && !res.headersSent) {
        // Answer at once and drop what is left of the body; the connection is not reused.
        res.setHeader('connection', 'close');
        req.resume();
      }
      sendError(res, err, deps.log);
    });
  };
}
