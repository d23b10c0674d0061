// Gogs and Gitea send the same payload shapes (push, plus a `delete` event for a removed branch or
// tag); only their header names differ.
import type { IncomingHttpHeaders } from 'node:http';
import { isZeroSha, ZERO_SHA } from '../../core/git-sha.ts';
import { stripCredentials } from '../../core/repo-url.ts';
import { changedFiles, header, headCommit, obj, optStr, repoUrls, splitRef, str, type Json } from './payload.ts';
import type { Forge, ForgeAdapter, ForgeEvent } from './types.ts';

function username(u: unknown): string | undefined {
  if (typeof u !== 'object' || u === null) return undefined;
  const user = u as Json;
  return optStr(user.username) ?? optStr(user.login) ?? optStr(user.name);
}

export function gogsLikeAdapter(forge: Extract<Forge, 'gogs' | 'gitea'>): ForgeAdapter {
  const prefix = `x-${forge}-`;
  return {
    forge,
    signature: (headers) => {
      const raw = header(headers, `${prefix}signature`);
      return raw ? raw.replace(/^sha256=/, '') : undefined;
    },
    deliveryId: (headers) => header(headers, `${prefix}delivery`),
    normalise(headers: IncomingHttpHeaders, payload: unknown, deliveryId: string): ForgeEvent {
      const event = header(headers, `${prefix}event`) ?? header(headers, 'x-github-event') ?? 'push';
      const body = obj(payload, 'payload');
      if (event === 'ping') return { kind: 'ping' };
      const repository = obj(body.repository, 'repository');
      const urls = repoUrls(repository);
      const cloneUrl = stripCredentials(str(repository.clone_url, 'repository.clone_url'));
      if (event === 'delete') {
        const refType = str(body.ref_type, 'ref_type');
        const name = str(body.ref, 'ref');
        if (refType !== 'branch' && refType !== 'tag') return { kind: 'ignored', reason: `deleted ${refType} is not handled`, repoUrls: urls };
        return {
          kind: 'push',
          push: {
            forge,
            deliveryId,
            repoUrls: urls,
            cloneUrl,
            ref: `refs/${refType === 'branch' ? 'heads' : 'tags'}/${name}`,
            ...(refType === 'branch' ? { branch: name } : { tag: name }),
            before: ZERO_SHA,
            after: ZERO_SHA,
            deleted: true,
            ...(username(body.sender) ? { pusher: username(body.sender)! } : {}),
            changedFiles: [],
            filesComplete: false,
          },
        };
      }
      if (event !== 'push') return { kind: 'ignored', reason: `event ${event} is not handled`, repoUrls: urls };
      const ref = str(body.ref, 'ref');
      const before = str(body.before, 'before');
      const after = str(body.after, 'after');
      const { files, listed } = changedFiles(body.commits);
      const commits = Array.isArray(body.commits) ? body.commits.length : 0;
      // Gitea cuts the commit list and says how many there were in total_commits.
      const total = typeof body.total_commits === 'number' ? body.total_commits : commits;
      const pusher = username(body.pusher) ?? username(body.sender);
      const commit = headCommit(body, after);
      return {
        kind: 'push',
        push: {
          forge,
          deliveryId,
          repoUrls: urls,
          cloneUrl,
          ref,
          ...splitRef(ref),
          before,
          after,
          // Gitea's and Gogs' "Test Delivery" sends before and after both zero: not a deletion (the plan ignores it).
          deleted: !isZeroSha(before) && isZeroSha(after),
          ...(pusher ? { pusher } : {}),
          ...(commit ? { commit } : {}),
          changedFiles: files,
          filesComplete: listed && commits > 0 && commits >= total && !isZeroSha(before),
        },
      };
    },
  };
}
