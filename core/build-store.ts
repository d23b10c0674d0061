// Build records in Redis: numbers from one INCR per pipeline, the record as JSON (built here, in
// TypeScript), a sorted set per pipeline (and per branch) by number. A queued build is also listed in
// `unqueued` until its BullMQ job is known to be added (core/trigger.ts; the job repair reads it).
// Updates are compare-and-set so server and runner can both write without losing each other's
// changes.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { NotFoundError } from './errors.ts';
import { publishChange } from './events.ts';
import { buildId } from './ids.ts';
import type { Keys } from './keys.ts';
import type { BuildRecord, BuildStatus } from './records.ts';
import { stripCredentials } from './repo-url.ts';

/** A Lua script's text and the SHA1 Redis knows it by. */
export interface LuaScript {
  text: string;
  sha: string;
}

export function luaScript(text: string): LuaScript {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}

/** EVALSHA, falling back to EVAL the first time a server sees the script. */
export async function evalScript(redis: Redis, script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
    return redis.eval(script.text, keys.length, ...keys, ...args);
  }
}

const CAS = luaScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0`);

// The record and its indexes, unless the record exists (a resumed delivery: see core/delivery.ts).
// KEYS: record, builds, pipelines, branch builds (when ARGV[4] is '1'), unqueued. ARGV: the record's
// JSON, number, pipeline, has branch, queued ('1': list it in unqueued), now (ms). Returns 0 when
// the record existed, else 1, plus 2 when the branch had no build before (nothing to supersede).
const INSERT = luaScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3] .. '-' .. ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
local first = 0
if ARGV[4] == '1' then
  if redis.call('ZCARD', KEYS[4]) == 0 then first = 2 end
  redis.call('ZADD', KEYS[4], ARGV[2], ARGV[3] .. '-' .. ARGV[2])
end
if ARGV[5] == '1' then redis.call('ZADD', KEYS[5], ARGV[6], ARGV[3] .. '-' .. ARGV[2]) end
return 1 + first`);

// Undoes INSERT, only while the record is exactly as written. KEYS as INSERT's; ARGV: the JSON, id.
const DISCARD = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
return 1`);

export type NewBuild = Omit<BuildRecord, 'id' | 'number' | 'status' | 'createdAt' | 'stages' | 'images'> &
  Partial<Pick<BuildRecord, 'status' | 'reason'>>;

export interface ListFilter {
  branch?: string;
  status?: BuildStatus;
  limit?: number;
  /** Only builds numbered below this (paging: the last number of the page before). */
  before?: number;
}

/** The record of a new build numbered `number` (queued unless `input.status` says otherwise). */
export function newRecord(input: NewBuild, number: number, now = Date.now()): BuildRecord {
  return {
    id: buildId(input.pipeline, number),
    number,
    ...input,
    // credentials never reach Redis: the runner takes them from the pipeline (stages/checkout.ts)
    repo: stripCredentials(input.repo),
    status: input.status ?? 'queued',
    createdAt: new Date(now).toISOString(),
    stages: [],
    images: [],
  };
}

export class BuildStore {
  constructor(
    readonly redis: Redis,
    readonly keys: Keys,
  ) {}

  /** The pipeline's next build number (one INCR: numbers never repeat). */
  async nextNumber(pipeline: string): Promise<number> {
    return this.redis.incr(this.keys.counter(pipeline));
  }

  private insertKeys(r: BuildRecord): string[] {
    return [
      this.keys.build(r.id),
      this.keys.builds(r.pipeline),
      this.keys.pipelines(),
      r.branch !== undefined ? this.keys.branchBuilds(r.pipeline, r.branch) : this.keys.builds(r.pipeline),
      this.keys.unqueued(),
    ];
  }

  /** A new record numbered by nextNumber, without a job (the caller adds one, or none: tests, `slipway run`). */
  async create(input: NewBuild): Promise<BuildRecord> {
    const record = newRecord(input, await this.nextNumber(input.pipeline));
    await this.insert(record, { unqueued: false });
    return record;
  }

  /**
   * Writes a new record and its indexes, unless a record of that id exists (then `created` is
   * false and nothing is written). A queued record is listed in `unqueued` until markQueued (unless
   * `opts.unqueued` is false). `firstOnBranch`: the branch had no build before this one (so there is
   * nothing to supersede).
   */
  async insert(record: BuildRecord, opts: { unqueued?: boolean } = {}): Promise<{ created: boolean; firstOnBranch: boolean }> {
    const unqueued = opts.unqueued ?? record.status === 'queued';
    const json = JSON.stringify(record);
    const args = [json, String(record.number), record.pipeline, record.branch !== undefined ? '1' : '0', unqueued ? '1' : '0', String(Date.parse(record.createdAt))];
    const reply = Number(await evalScript(this.redis, INSERT, this.insertKeys(record), args));
    if (reply > 0) publishChange(this.redis, this.keys, 'build', json);
    return { created: reply > 0, firstOnBranch: reply === 3 };
  }

  /** Removes a record insert() has just written and nothing has changed since (its job could not be added). */
  async discard(record: BuildRecord): Promise<void> {
    const keys = this.insertKeys(record);
    keys[2] = this.keys.unqueued(); // the pipelines set keeps the name: other builds may have it
    await evalScript(this.redis, DISCARD, keys, [JSON.stringify(record), record.id]);
  }

  /** The builds' jobs are in the queue: the job repair need not look at them. */
  async markQueued(ids: string[]): Promise<void> {
    if (ids.length) await this.redis.zrem(this.keys.unqueued(), ...ids);
  }

  /** Builds listed as possibly without a job since before `beforeMs`, oldest first. */
  async unqueuedBefore(beforeMs: number, limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.unqueued(), '-inf', beforeMs, 'LIMIT', 0, limit);
  }

  /** Lists a build as possibly without a job (a cancel about to remove it; see core/cancel-build.ts). */
  async markUnqueued(id: string, now = Date.now()): Promise<void> {
    await this.redis.zadd(this.keys.unqueued(), now, id);
  }

  async get(id: string): Promise<BuildRecord | undefined> {
    const raw = await this.redis.get(this.keys.build(id));
    return raw ? (JSON.parse(raw) as BuildRecord) : undefined;
  }

  async require(id: string): Promise<BuildRecord> {
    const record = await this.get(id);
    if (!record) throw new NotFoundError(`no build ${id}`);
    return record;
  }

  /**
   * Applies `change` to the stored record atomically (retrying on a concurrent write). `change`
   * returns the new record, or undefined to leave it as it is. `knownRaw`: the record as just read.
   */
  async update(id: string, change: (r: BuildRecord) => BuildRecord | undefined, knownRaw?: string): Promise<BuildRecord> {
    const key = this.keys.build(id);
    let raw: string | null | undefined = knownRaw;
    for (;;) {
      raw ??= await this.redis.get(key);
      if (!raw) throw new NotFoundError(`no build ${id}`);
      const next = change(JSON.parse(raw) as BuildRecord);
      if (!next) return JSON.parse(raw) as BuildRecord;
      const json = JSON.stringify(next);
      const ok = await evalScript(this.redis, CAS, [key], [raw, json]);
      if (ok === 1) {
        publishChange(this.redis, this.keys, 'build', json);
        return next;
      }
      raw = undefined;
    }
  }

  async list(pipeline: string, filter: ListFilter = {}): Promise<BuildRecord[]> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const set = filter.branch !== undefined ? this.keys.branchBuilds(pipeline, filter.branch) : this.keys.builds(pipeline);
    const out: BuildRecord[] = [];
    let offset = 0;
    // Page through newest first until the filter is satisfied.
    while (out.length < limit) {
      const ids =
        filter.before === undefined
          ? await this.redis.zrevrange(set, offset, offset + 199)
          : await this.redis.zrevrangebyscore(set, `(${filter.before}`, '-inf', 'LIMIT', offset, 200);
      if (ids.length === 0) break;
      offset += ids.length;
      const raws = await this.redis.mget(ids.map((i) => this.keys.build(i)));
      for (const raw of raws) {
        if (!raw) continue;
        const r = JSON.parse(raw) as BuildRecord;
        if (filter.status && r.status !== filter.status) continue;
        out.push(r);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  async latest(pipeline: string): Promise<BuildRecord | undefined> {
    const [id] = await this.redis.zrevrange(this.keys.builds(pipeline), 0, 0);
    return id ? this.get(id) : undefined;
  }

  /** Older builds of the same branch, newest first: the candidates a new push supersedes. */
  async olderOnBranch(pipeline: string, branch: string, number: number, limit?: number): Promise<string[]> {
    const key = this.keys.branchBuilds(pipeline, branch);
    if (limit === undefined) return this.redis.zrevrangebyscore(key, `(${number}`, '-inf');
    return this.redis.zrevrangebyscore(key, `(${number}`, '-inf', 'LIMIT', 0, limit);
  }
}
