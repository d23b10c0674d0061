// The webhook hot path, on bare node:http: read the body under a size limit, parse, match the
// repository, verify the HMAC, dedupe the delivery, queue builds (or a teardown), answer. Superseding
// older builds happens after the answer.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage, NotFoundError, SlipwayError, WebhookError } from '../../core/errors.ts';
import type { Keys } from '../../core/keys.ts';
import type { Logger } from '../../core/logger.ts';
import type { BuildRecord } from '../../core/records.ts';
import { queueBuild, queueBuildOnce, type Superseder, type TriggerDeps } from '../../core/trigger.ts';
import type { LoadedPipeline } from '../../pipelines/schema.ts';
import { sendError, sendJson } from '../errors.ts';
import type { ServerMetrics } from '../metrics.ts';
import { gitea } from './gitea.ts';
import { github } from './github.ts';
import { gogs } from './gogs.ts';
import { decide, type PipelineIndex } from './match.ts';
import { signatureValid } from './signature.ts';
import type { Forge, ForgeAdapter, PushEvent } from './types.ts';

/** 5 MiB: far above a normal push payload, low enough that a flood cannot exhaust memory. */
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
const DEDUPE_SECONDS = 3 * 24 * 3600;

export const ADAPTERS: Record<Forge, ForgeAdapter> = { github, gogs, gitea };

export interface IntakeDeps {
  trigger: TriggerDeps;
  superseder: Superseder;
  keys: Keys;
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

    const dedupe = { key: deps.keys.delivery(forge, deliveryId), seconds: DEDUPE_SECONDS };
    const claim = { ours: false };
    let outcome: Awaited<ReturnType<typeof act>>;
    try {
      outcome = await act(verified, event.push, dedupe, claim);
    } catch (err) {
      // Not (fully) done: let the forge's redelivery try again.
      if (claim.ours) await deps.trigger.redis.del(dedupe.key).catch(() => undefined);
      throw err;
    }
    const { queued, teardowns, ignored, alone, duplicate } = outcome;
    if (duplicate) return sendJson(res, 200, { ignored: 'duplicate delivery' });
    if (queued.length === 0 && teardowns.length === 0) return sendJson(res, 200, { ignored: ignored.join('; ') });
    sendJson(res, 202, {
      builds: queued.map((b) => ({ id: b.id, number: b.number, pipeline: b.pipeline, url: buildUrl(b.id) })),
      ...(teardowns.length ? { teardowns } : {}),
    });
    for (const b of queued) if (!alone.has(b.id)) deps.superseder.later(b);
  }

  /**
   * Builds or teardowns for the verified pipelines. The delivery is claimed exactly once: together
   * with the first build in one round trip (the common case), or on its own otherwise.
   */
  async function act(pipelines: LoadedPipeline[], push: PushEvent, dedupe: { key: string; seconds: number }, claim: { ours: boolean }) {
    const queued: BuildRecord[] = [];
    const teardowns: { pipeline: string; branch: string }[] = [];
    const ignored: string[] = [];
    /** Builds that are the first on their branch: nothing to supersede. */
    const alone = new Set<string>();
    const many = pipelines.length > 1;
    const toBuild: { pipeline: LoadedPipeline['pipeline']; pathsUndecided: boolean }[] = [];
    const toTeardown: string[] = [];
    const index = deps.index();
    for (const loaded of pipelines) {
      const { pipeline } = loaded;
      const name = pipeline.metadata.name;
      if (push.deleted) {
        if (push.branch === undefined) ignored.push(many ? `${name}: deleted tag` : 'deleted tag');
        else if (!pipeline.environment.teardownOnBranchDelete) ignored.push(many ? `${name}: teardownOnBranchDelete is off` : 'teardownOnBranchDelete is off');
        else toTeardown.push(name);
        continue;
      }
      const decision = decide(loaded, push, index.filters(loaded));
      if (decision.build) toBuild.push({ pipeline, pathsUndecided: decision.pathsUndecided });
      else ignored.push(many ? `${name}: ${decision.reason}` : decision.reason);
    }
    if (toBuild.length === 0 && toTeardown.length === 0) return { queued, teardowns, ignored, alone, duplicate: false };
    let claimed = false;
    if (toBuild.length === 0 || toTeardown.length > 0) {
      claimed = true;
      if ((await deps.trigger.redis.set(dedupe.key, '1', 'EX', dedupe.seconds, 'NX')) === null) return { queued, teardowns, ignored, alone, duplicate: true };
      claim.ours = true;
    }
    for (const name of toTeardown) {
      await deps.trigger.queues.teardown.add('teardown', { pipeline: name, branch: push.branch!, reason: `branch ${push.branch!} deleted`, deliveryId: push.deliveryId });
      teardowns.push({ pipeline: name, branch: push.branch! });
      deps.log.info({ pipeline: name, branch: push.branch, delivery: push.deliveryId }, 'teardown queued for deleted branch');
    }
    for (const { pipeline, pathsUndecided } of toBuild) {
      const input = {
        pipeline: pipeline.metadata.name,
        trigger: { type: 'push' as const, deliveryId: push.deliveryId, forge: push.forge, ...(push.pusher ? { by: push.pusher } : {}) },
        repo: pipeline.source.repo,
        ...(push.branch !== undefined ? { branch: push.branch } : {}),
        ...(push.tag !== undefined ? { tag: push.tag } : {}),
        sha: push.after,
        before: push.before,
        ...(pathsUndecided ? { pathsUndecided: true } : {}),
      };
      if (claimed) {
        queued.push(await queueBuild(deps.trigger, input));
        continue;
      }
      claimed = true;
      const created = await queueBuildOnce(deps.trigger, input, dedupe, () => (claim.ours = true));
      if (!created) return { queued, teardowns, ignored, alone, duplicate: true };
      queued.push(created.build);
      if (created.firstOnBranch) alone.add(created.build.id);
    }
    return { queued, teardowns, ignored, alone, duplicate: false };
  }

  return (req, res, forge) => {
    deps.metrics.webhooksReceived.inc({ forge });
    handle(req, res, forge).catch((err: unknown) => {
      const type = err instanceof SlipwayError ? err.type : 'internal';
      deps.metrics.webhooksRejected.inc({ forge, reason: REJECT_REASON[type] ?? 'error' });
      if (type === 'internal' || !(err instanceof SlipwayError)) deps.log.error({ forge, err: errorMessage(err) }, 'webhook failed');
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
