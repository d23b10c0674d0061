// GitHub push webhooks: X-Hub-Signature-256 `sha256=<hex>`, X-GitHub-Event, X-GitHub-Delivery.
import type { IncomingHttpHeaders } from 'node:http';
import { isZeroSha } from '../../core/git-sha.ts';
import { stripCredentials } from '../../core/repo-url.ts';
import { changedFiles, header, headCommit, obj, optStr, repoUrls, splitRef, str } from './payload.ts';
import type { ForgeAdapter, ForgeEvent } from './types.ts';

/** GitHub lists at most this many commits in a push; a list that long may be cut. */
const COMMIT_LIMIT = 2048;

export function githubSignature(headers: IncomingHttpHeaders): string | undefined {
  const raw = header(headers, 'x-hub-signature-256');
  if (!raw?.startsWith('sha256=')) return undefined;
  return raw.slice('sha256='.length);
}

export function normaliseGithub(headers: IncomingHttpHeaders, payload: unknown, deliveryId: string): ForgeEvent {
  const event = header(headers, 'x-github-event') ?? 'push';
  const body = obj(payload, 'payload');
  if (event === 'ping') return { kind: 'ping' };
  const repository = obj(body.repository, 'repository');
  const urls = repoUrls(repository);
  if (event !== 'push') return { kind: 'ignored', reason: `event ${event} is not handled`, repoUrls: urls };
  const ref = str(body.ref, 'ref');
  const before = str(body.before, 'before');
  const after = str(body.after, 'after');
  const deleted = body.deleted === true || (!isZeroSha(before) && isZeroSha(after));
  const created = body.created === true || isZeroSha(before);
  const { files, listed } = changedFiles(body.commits);
  const commits = Array.isArray(body.commits) ? body.commits.length : 0;
  const commit = headCommit(body, after);
  const pusher = typeof body.pusher === 'object' && body.pusher !== null ? optStr((body.pusher as Record<string, unknown>).name) : undefined;
  return {
    kind: 'push',
    push: {
      forge: 'github',
      deliveryId,
      repoUrls: urls,
      cloneUrl: stripCredentials(str(repository.clone_url, 'repository.clone_url')),
      ref,
      ...splitRef(ref),
      before,
      after,
      deleted,
      ...(pusher ? { pusher } : {}),
      ...(commit ? { commit } : {}),
      changedFiles: files,
      // A new branch or a forced push lists commits that do not describe the diff.
      filesComplete: listed && commits > 0 && commits < COMMIT_LIMIT && !created && body.forced !== true,
    },
  };
}

export const github: ForgeAdapter = {
  forge: 'github',
  signature: githubSignature,
  deliveryId: (headers) => header(headers, 'x-github-delivery'),
  normalise: normaliseGithub,
};
