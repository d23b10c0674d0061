// Small readers for untrusted JSON payloads: a wrong shape is a 400 with the field named.
import { WebhookError } from '../../core/errors.ts';
import type { CommitInfo } from '../../core/records.ts';

export type Json = Record<string, unknown>;

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function obj(v: unknown, field: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new WebhookError('webhook', `payload field ${field} must be an object`);
  return v as Json;
}

export function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new WebhookError('webhook', `payload field ${field} must be a string`);
  return v;
}

export function optStr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Changed paths from a commits list (added, removed, modified), and whether every commit had lists. */
export function changedFiles(commits: unknown): { files: string[]; listed: boolean } {
  if (!Array.isArray(commits)) return { files: [], listed: false };
  const files = new Set<string>();
  let listed = true;
  for (const c of commits) {
    if (typeof c !== 'object' || c === null) continue;
    const commit = c as Json;
    let any = false;
    for (const k of ['added', 'removed', 'modified']) {
      const list = commit[k];
      if (!Array.isArray(list)) continue;
      any = true;
      for (const f of list) if (typeof f === 'string') files.add(f);
    }
    if (!any) listed = false;
  }
  return { files: [...files], listed };
}

const MAX_MESSAGE = 4000;

/**
 * The pushed head commit's message and author: GitHub's `head_commit`, else the entry of `commits`
 * whose id is `after` (Gogs, Gitea), else the last one. Undefined when the payload has neither.
 */
export function headCommit(body: Json, after: string): CommitInfo | undefined {
  const list = Array.isArray(body.commits) ? (body.commits as unknown[]) : [];
  const candidates = [body.head_commit, list.find((c) => (c as Json | null)?.id === after), list[list.length - 1]];
  const found = candidates.find((c): c is Json => typeof c === 'object' && c !== null && typeof (c as Json).message === 'string');
  if (!found) return undefined;
  const message = (found.message as string).slice(0, MAX_MESSAGE);
  const who = typeof found.author === 'object' && found.author !== null ? (found.author as Json) : {};
  const author = optStr(who.name) ?? optStr(who.username);
  return { message, ...(author ? { author } : {}) };
}

/** Branch or tag from a full ref. */
export function splitRef(ref: string): { branch?: string; tag?: string } {
  if (ref.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  return {};
}

export function repoUrls(repository: Json): string[] {
  return ['clone_url', 'ssh_url', 'git_url', 'html_url', 'url']
    .map((k) => repository[k])
    .filter((u): u is string => typeof u === 'string' && u !== '' && !u.includes('api.github.com'));
}
