// The one door for a build's commit statuses, shared by server (queued, cancelled while queued) and
// runner (running, the result, ended without running): statuses of one build reach the forge one
// at a time and in order, and a pending one is never sent after the final one.
//
// Each build has a hash in Redis: the status wanted (its phase's rank and body), the rank last
// sent and its outcome, and where statuses go (kept from the first status, so that a build whose
// pipeline is no longer loaded still gets its final status). A status of a lower rank than one
// already wanted is dropped. Whoever holds the build's send lock (a short-lived key) posts the
// wanted status, then looks again; the others wait for their rank to be sent or passed.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Pipeline } from '../pipelines/schema.ts';
import { postStatus, statusBody, statusTarget, type CommitState, type ReportStatusResult, type StatusBody, type StatusTarget } from './commit-status.ts';
import type { Keys } from './keys.ts';
import type { Logger } from './logger.ts';

export type StatusPhase = 'queued' | 'running' | 'final';
const RANK: Record<StatusPhase, number> = { queued: 1, running: 2, final: 3 };

/** A week: far longer than any build, short enough that Redis forgets them. */
const KEEP_SECONDS = 7 * 24 * 3600;

// KEYS[1]: the build's status hash. ARGV: rank, body, target (or ''), seconds to keep.
// 1: wanted; 0: a status of this rank or later is already wanted; -1: nowhere to send it.
const WANT = `
local want = tonumber(redis.call('HGET', KEYS[1], 'want') or '0')
if want >= tonumber(ARGV[1]) then return 0 end
if ARGV[3] ~= '' then redis.call('HSETNX', KEYS[1], 'target', ARGV[3])
elseif redis.call('HEXISTS', KEYS[1], 'target') == 0 then return -1 end
redis.call('HSET', KEYS[1], 'want', ARGV[1], 'body', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1`;

// KEYS[1]: the lock. ARGV[1]: its holder's token; ARGV[2]: milliseconds (0: release).
const HOLD = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

export interface StatusSenderOptions {
  redis: Redis;
  keys: Keys;
  /** SLIPWAY_PUBLIC_URL: statuses link to <publicUrl>/builds/<id>. */
  publicUrl: string;
  log: Logger;
  /** Where tokens are looked up; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** One POST's limit. Default 5 s. */
  timeoutMs?: number;
  /** How long a send waits for the statuses before it. Default 3 × timeoutMs. */
  waitMs?: number;
  fetch?: typeof fetch;
}

export interface SendStatusInput {
  build: { id: string; sha: string; number?: number };
  /** The build's pipeline as loaded; without it, the target kept from an earlier status is used. */
  pipeline?: Pipeline;
  phase: StatusPhase;
  state: CommitState;
  description?: string;
  environmentUrl?: string;
}

export interface StatusSender {
  /** Sends the status in its place; resolves with what became of it. Never throws. */
  send(input: SendStatusInput): Promise<ReportStatusResult>;
}

interface State {
  want: number;
  sent: number;
  body?: StatusBody;
  target?: StatusTarget;
  outcome?: ReportStatusResult;
}


export function createStatusSender(opts: StatusSenderOptions): StatusSender {
  const { redis, keys, log } = opts;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const lockMs = timeoutMs + 5000;
  const waitMs = opts.waitMs ?? 3 * timeoutMs;

  /** The build's state; `outcome` is that of the status of `rank`, if it was sent. */
  async function read(id: string, rank = 0): Promise<State> {
    const [want, sent, body, target, outcome] = await redis.hmget(keys.commitStatus(id), 'want', 'sent', 'body', 'target', `outcome:${rank}`);
    return {
      want: Number(want ?? 0),
      sent: Number(sent ?? 0),
      ...(body ? { body: JSON.parse(body) as StatusBody } : {}),
      ...(target ? { target: JSON.parse(target) as StatusTarget } : {}),
      ...(outcome ? { outcome: JSON.parse(outcome) as ReportStatusResult } : {}),
    };
  }

  /** Posts what is wanted while holding the lock; false when another holds it. */
  async function deliver(id: string): Promise<boolean> {
    const lock = keys.commitStatusLock(id);
    const token = randomUUID();
    if ((await redis.set(lock, token, 'PX', lockMs, 'NX')) === null) return false;
    try {
      for (;;) {
        const s = await read(id);
        if (s.want <= s.sent || !s.body || !s.target) return true;
        const outcome = await postStatus(s.target, s.body, {
          log,
          fields: { build: id, state: s.body.state },
          ...(opts.env ? { env: opts.env } : {}),
          timeoutMs,
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        });
        await redis.hset(keys.commitStatus(id), 'sent', String(s.want), `outcome:${s.want}`, JSON.stringify(outcome));
        if ((await redis.eval(HOLD, 1, lock, token, String(lockMs))) !== 1) return true; // expired: another may hold it now
      }
    } finally {
      await redis.eval(HOLD, 1, lock, token, '0').catch(() => undefined);
    }
  }

  async function send(input: SendStatusInput): Promise<ReportStatusResult> {
    const { build } = input;
    const rank = RANK[input.phase];
    let targetJson = '';
    let body: StatusBody | undefined;
    if (input.pipeline) {
      const found = statusTarget(input.pipeline, build, opts.publicUrl);
      if ('skip' in found) {
        if (found.skip !== 'no status configured') log[found.level]({ build: build.id, state: input.state }, `commit status skipped: ${found.skip}`);
        return { sent: false, reason: found.skip };
      }
      targetJson = JSON.stringify(found.target);
      body = statusBody(found.target, input);
    }
    const key = keys.commitStatus(build.id);
    if (!body) {
      // the target kept from an earlier status makes the body
      const kept = await redis.hget(key, 'target');
      if (!kept) return { sent: false, reason: 'no status configured' };
      body = statusBody(JSON.parse(kept) as StatusTarget, input);
    }
    const wanted = await redis.eval(WANT, 1, key, String(rank), JSON.stringify(body), targetJson, String(KEEP_SECONDS));
    if (wanted === -1) return { sent: false, reason: 'no status configured' };
    if (wanted === 0) return { sent: false, reason: 'a later status was already sent' };
    const deadline = Date.now() + waitMs;
    for (;;) {
      const s = await read(build.id, rank);
      if (s.sent >= rank) return s.outcome ?? { sent: false, reason: 'a later status was already sent' };
      if (!(await deliver(build.id)) && Date.now() > deadline) {
        log.warn({ build: build.id, state: input.state }, 'commit status not sent: an earlier status is still being sent');
        return { sent: false, reason: 'an earlier status is still being sent' };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    send: (input) =>
      send(input).catch((err: unknown) => {
        log.warn({ build: input.build.id, state: input.state, err: err instanceof Error ? err.message : String(err) }, 'commit status not sent');
        return { sent: false as const, reason: 'redis unavailable' };
      }),
  };
}
