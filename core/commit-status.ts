// Commit statuses back to the forge: GitHub and Gitea have a statuses API, Gogs has none. A status
// that cannot be sent is logged and never fails the build; the token never reaches a log line.
import type { Logger } from './logger.ts';
import type { BuildStatus } from './records.ts';
import type { Pipeline } from '../pipelines/schema.ts';

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface ReportStatusInput {
  pipeline: Pipeline;
  build: { id: string; sha: string; number?: number };
  state: CommitState;
  /** SLIPWAY_PUBLIC_URL: target_url is <publicUrl>/builds/<id>. */
  publicUrl: string;
  /** Goes into the description when there is one. */
  environmentUrl?: string;
  /** Overrides the default description. */
  description?: string;
  log: Logger;
  /** Where the token's env var is looked up; process.env by default. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type ReportStatusResult = { sent: true; status: number } | { sent: false; reason: string };

/** The commit state a build status maps to. */
export function commitStateFor(status: BuildStatus): CommitState {
  switch (status) {
    case 'queued':
    case 'running':
      return 'pending';
    case 'succeeded':
      return 'success';
    case 'failed':
      return 'failure';
    case 'cancelled':
      return 'error';
  }
}

/** owner and repo from a clone URL: https://host/owner/repo.git, git@host:owner/repo.git, ssh://…/owner/repo. */
export function parseOwnerRepo(repoUrl: string): { origin?: string; owner: string; repo: string } | undefined {
  let origin: string | undefined;
  let pathPart: string;
  const scp = /^[^@/]+@([^:/]+):(.+)$/.exec(repoUrl);
  if (scp) pathPart = scp[2]!;
  else {
    try {
      const u = new URL(repoUrl);
      if (u.protocol === 'http:' || u.protocol === 'https:') origin = u.origin;
      pathPart = u.pathname;
    } catch {
      return undefined;
    }
  }
  const segs = pathPart.replace(/\.git\/?$/, '').split('/').filter(Boolean);
  if (segs.length < 2) return undefined;
  const owner = segs[segs.length - 2]!;
  const repo = segs[segs.length - 1]!;
  return origin ? { origin, owner, repo } : { owner, repo };
}

function defaultDescription(input: { state: CommitState; build: { number?: number }; environmentUrl?: string }): string {
  if (input.environmentUrl) return input.environmentUrl;
  const n = input.build.number !== undefined ? ` #${input.build.number}` : '';
  switch (input.state) {
    case 'pending':
      return `Build${n} in progress`;
    case 'success':
      return `Build${n} succeeded`;
    case 'failure':
      return `Build${n} failed`;
    case 'error':
      return `Build${n} did not finish`;
  }
}

/**
 * The forge's API root from `source.status.apiUrl`, which may name either the forge's root
 * (https://git.example.com, https://github.com) or its API root (…/api/v1 for Gitea, …/api/v3 or
 * https://api.github.com for GitHub); without it, from the clone URL's origin.
 */
export function apiRoot(forge: 'github' | 'gitea', apiUrl: string | undefined, origin: string | undefined): string | undefined {
  const given = apiUrl ?? origin;
  if (given === undefined) return undefined;
  const trimmed = given.replace(/\/+$/, '');
  const host = new URL(trimmed).hostname;
  if (forge === 'github') {
    if (/\/api\/v3$/.test(trimmed) || host.startsWith('api.')) return trimmed;
    if (host === 'github.com' || host === 'www.github.com') return 'https://api.github.com';
    return `${trimmed}/api/v3`; // GitHub Enterprise Server's root
  }
  return /\/api\/v1$/.test(trimmed) ? trimmed : `${trimmed}/api/v1`;
}

function statusUrl(forge: 'github' | 'gitea', apiUrl: string | undefined, parsed: { origin?: string; owner: string; repo: string }, sha: string): string | undefined {
  const base = apiRoot(forge, apiUrl, parsed.origin ?? (forge === 'github' ? 'https://github.com' : undefined));
  return base && `${base}/repos/${encodeURIComponent(parsed.owner)}/${encodeURIComponent(parsed.repo)}/statuses/${encodeURIComponent(sha)}`;
}

/** Where one build's statuses go and how they are signed (the token's variable name, never its value). */
export interface StatusTarget {
  forge: 'github' | 'gitea';
  url: string;
  tokenEnv: string;
  context: string;
  targetUrl: string;
}

/** The body the forge gets. */
export interface StatusBody {
  state: CommitState;
  target_url: string;
  description: string;
  context: string;
}

export type StatusTargetResult = { target: StatusTarget } | { skip: string; level: 'debug' | 'warn' };

/** The build's status target, or why it has none (no status configured, Gogs, an unparsable repo). */
export function statusTarget(pipeline: Pipeline, build: { id: string; sha: string }, publicUrl: string): StatusTargetResult {
  const cfg = pipeline.source.status;
  if (!cfg) return { skip: 'no status configured', level: 'debug' };
  if (cfg.forge === 'gogs') return { skip: 'gogs has no status api', level: 'debug' };
  const parsed = parseOwnerRepo(pipeline.source.repo);
  const url = parsed && statusUrl(cfg.forge, cfg.apiUrl, parsed, build.sha);
  if (!url) return { skip: 'cannot tell owner and repo from source.repo', level: 'warn' };
  return {
    target: {
      forge: cfg.forge,
      url,
      tokenEnv: cfg.token.env,
      context: cfg.context ?? `slipway/${pipeline.metadata.name}`,
      targetUrl: `${publicUrl.replace(/\/+$/, '')}/builds/${encodeURIComponent(build.id)}`,
    },
  };
}

export function statusBody(
  target: StatusTarget,
  input: { state: CommitState; build: { number?: number }; description?: string; environmentUrl?: string },
): StatusBody {
  const description = input.description ?? defaultDescription(input);
  return { state: input.state, target_url: target.targetUrl, description: description.slice(0, 140), context: target.context };
}

export interface PostOptions {
  log: Logger;
  /** Log fields: pipeline, build, state. */
  fields: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** One POST of a status. Never throws: what went wrong is logged and returned. */
export async function postStatus(target: StatusTarget, body: StatusBody, opts: PostOptions): Promise<ReportStatusResult> {
  const { log, fields } = opts;
  const token = (opts.env ?? process.env)[target.tokenEnv];
  if (!token) {
    log.warn({ ...fields, tokenEnv: target.tokenEnv }, 'commit status skipped: token env var not set');
    return { sent: false, reason: `${target.tokenEnv} is not set` };
  }
  try {
    const res = await (opts.fetch ?? fetch)(target.url, {
      method: 'POST',
      headers: {
        authorization: `token ${token}`,
        accept: target.forge === 'github' ? 'application/vnd.github+json' : 'application/json',
        'content-type': 'application/json',
        'user-agent': 'slipway',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
    await res.body?.cancel();
    if (!res.ok) {
      log.warn({ ...fields, forge: target.forge, status: res.status }, 'commit status rejected by forge');
      return { sent: false, reason: `forge answered ${res.status}` };
    }
    log.debug({ ...fields, forge: target.forge }, 'commit status sent');
    return { sent: true, status: res.status };
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'unreachable';
    log.warn({ ...fields, forge: target.forge, reason }, 'commit status not sent');
    return { sent: false, reason };
  }
}

/**
 * Sends one commit status for the build, unordered (see core/status-sender.ts for the ordered
 * sender server and runner share). Never throws: what went wrong is logged and returned.
 */
export async function reportStatus(input: ReportStatusInput): Promise<ReportStatusResult> {
  const { pipeline, build, log } = input;
  const fields = { pipeline: pipeline.metadata.name, build: build.id, state: input.state };
  const found = statusTarget(pipeline, build, input.publicUrl);
  if ('skip' in found) {
    if (found.skip !== 'no status configured') log[found.level]({ ...fields, forge: pipeline.source.status?.forge }, `commit status skipped: ${found.skip}`);
    return { sent: false, reason: found.skip };
  }
  const body = statusBody(found.target, input);
  return postStatus(found.target, body, {
    log,
    fields,
    ...(input.env ? { env: input.env } : {}),
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
    ...(input.fetch ? { fetch: input.fetch } : {}),
  });
}
