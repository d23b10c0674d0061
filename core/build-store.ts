// Build records in Redis: numbers from one INCR per pipeline, the record as JSON, a sorted set
// per pipeline (and per branch) by number; for a queued build, its BullMQ job in the same script.
// Updates are compare-and-set so server and runner can both write without losing each other's
// changes.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { NotFoundError } from './errors.ts';
import { buildId } from './ids.ts';
import type { Keys } from './keys.ts';
import { ADD_STANDARD_JOB_KEYS, bullmqAddStandardJob } from './bullmq-script.ts';
import type { JobTarget } from './queue.ts';
import type { BuildRecord, BuildStatus } from './records.ts';

const CAS = luaScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0`);

// Creating a build, in one script: CLAIM (the delivery's dedupe key, the number), then RECORD.
// KEYS: counter, builds, pipelines, branch builds, dedupe key. ARGV: build key prefix, pipeline,
// JSON tail after id and number, dedupe seconds, has branch, has dedupe. Returns number * 2, plus
// 1 when the branch had no build before; 0 if the dedupe key existed.
const CLAIM = `
if ARGV[6] == '1' and not redis.call('SET', KEYS[5], '1', 'EX', ARGV[4], 'NX') then return 0 end
local n = redis.call('INCR', KEYS[1])
local id = ARGV[2] .. '-' .. n`;
const RECORD = `
redis.call('SET', ARGV[1] .. id, '{"id":"' .. id .. '","number":' .. n .. ARGV[3])
redis.call('ZADD', KEYS[2], n, id)
if n == 1 then redis.call('SADD', KEYS[3], ARGV[2]) end
local first = 1
if ARGV[5] == '1' then
  if redis.call('ZCARD', KEYS[4]) > 0 then first = 0 end
  redis.call('ZADD', KEYS[4], n, id)
end
return n * 2 + first`;
const CREATE = luaScript(CLAIM + RECORD);

// A queued build: between the two, the BullMQ job (jobId = build id, data { buildId }), written by
// BullMQ's own addStandardJob run as a local function, with the arguments BullMQ would pack: the
// queue's key prefix and job options are constants of the script (one script per queue), the build
// id is packed here by concatenation (cheaper than cjson and cmsgpack.pack), ARGV[7] is the
// timestamp. Should BullMQ's part fail, the delivery is released (a redelivery can try again) and
// nothing of the record is written.
function jobScript(job: JobTarget): string {
  return `
local function mpstr(s)
  local len = #s
  if len < 32 then return string.char(160 + len) .. s end
  if len < 256 then return '\\217' .. string.char(len) .. s end
  return '\\218' .. string.char(math.floor(len / 256), len % 256) .. s
end
local q = ${luaString(Buffer.from(job.queueKey))}
local packedId = mpstr(id)
local ok, added = pcall(addStandardJob,
  { ${ADD_STANDARD_JOB_KEYS.map((k) => `q .. '${k}'`).join(', ')} },
  { '\\148' .. mpstr(q) .. packedId .. '\\165build' .. cmsgpack.pack(tonumber(ARGV[7])),
    '{"buildId":"' .. id .. '"}',
    ${luaString(job.optsHead)} .. packedId })
if not ok or added ~= id then
  if ARGV[6] == '1' then redis.call('DEL', KEYS[5]) end
  local why = type(added) == 'table' and (added.err or added.message) or tostring(added)
  return redis.error_reply('the build job could not be queued: ' .. why)
end`;
}

/** A Lua string literal of these bytes (letters, digits and a few marks as they are, the rest as \ddd escapes). */
function luaString(bytes: Buffer): string {
  let out = "'";
  for (const b of bytes) out += /[A-Za-z0-9:._\-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  return `${out}'`;
}

const queuedScripts = new WeakMap<JobTarget, LuaScript>();
function queuedScript(job: JobTarget): LuaScript {
  let found = queuedScripts.get(job);
  if (!found) {
    found = luaScript(`local addStandardJob = function(KEYS, ARGV)\n${bullmqAddStandardJob()}\nend${CLAIM}${jobScript(job)}${RECORD}`);
    queuedScripts.set(job, found);
  }
  return found;
}

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

export type NewBuild = Omit<BuildRecord, 'id' | 'number' | 'status' | 'createdAt' | 'stages' | 'images'> &
  Partial<Pick<BuildRecord, 'status' | 'reason'>>;

export interface ListFilter {
  branch?: string;
  status?: BuildStatus;
  limit?: number;
}

export class BuildStore {
  constructor(
    readonly redis: Redis,
    readonly keys: Keys,
  ) {}

  /** Creates the record; with `job`, also its BullMQ job, in the same script (a queued build). */
  async create(input: NewBuild, job?: JobTarget): Promise<BuildRecord> {
    return (await this.createOnce(input, undefined, job))!.build;
  }

  /**
   * Creates the build unless `dedupe.key` already exists, in one Redis round trip (the webhook hot
   * path): SET NX EX on the key, INCR, with `job` the BullMQ job, the record and its indexes.
   * Undefined when the key existed (a redelivery). `firstOnBranch`: the branch had no build before
   * this one (so there is nothing to supersede).
   */
  async createUnlessDuplicate(
    input: NewBuild,
    dedupe: { key: string; seconds: number },
    job?: JobTarget,
  ): Promise<{ build: BuildRecord; firstOnBranch: boolean } | undefined> {
    return this.createOnce(input, dedupe, job);
  }

  private async createOnce(
    input: NewBuild,
    dedupe: { key: string; seconds: number } | undefined,
    job: JobTarget | undefined,
  ): Promise<{ build: BuildRecord; firstOnBranch: boolean } | undefined> {
    const now = Date.now();
    const rest = {
      ...input,
      status: input.status ?? 'queued',
      createdAt: new Date(now).toISOString(),
      stages: [],
      images: [],
    } satisfies Omit<BuildRecord, 'id' | 'number'>;
    const tail = `,${JSON.stringify(rest).slice(1)}`;
    const keys = [
      this.keys.counter(input.pipeline),
      this.keys.builds(input.pipeline),
      this.keys.pipelines(),
      input.branch !== undefined ? this.keys.branchBuilds(input.pipeline, input.branch) : this.keys.builds(input.pipeline),
      dedupe?.key ?? this.keys.counter(input.pipeline),
    ];
    const args = [this.keys.build(''), input.pipeline, tail, String(dedupe?.seconds ?? 0), input.branch !== undefined ? '1' : '0', dedupe ? '1' : '0'];
    let reply: number;
    if (job) {
      args.push(String(now));
      reply = Number(await evalScript(this.redis, queuedScript(job), keys, args));
    } else {
      reply = Number(await evalScript(this.redis, CREATE, keys, args));
    }
    if (reply === 0) return undefined;
    const number = Math.floor(reply / 2);
    return { build: { id: buildId(input.pipeline, number), number, ...rest }, firstOnBranch: reply % 2 === 1 };
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
   * returns the new record, or undefined to leave it as it is.
   */
  async update(id: string, change: (r: BuildRecord) => BuildRecord | undefined): Promise<BuildRecord> {
    const key = this.keys.build(id);
    for (;;) {
      const raw = await this.redis.get(key);
      if (!raw) throw new NotFoundError(`no build ${id}`);
      const next = change(JSON.parse(raw) as BuildRecord);
      if (!next) return JSON.parse(raw) as BuildRecord;
      const ok = await evalScript(this.redis, CAS, [key], [raw, JSON.stringify(next)]);
      if (ok === 1) return next;
    }
  }

  async list(pipeline: string, filter: ListFilter = {}): Promise<BuildRecord[]> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const set = filter.branch !== undefined ? this.keys.branchBuilds(pipeline, filter.branch) : this.keys.builds(pipeline);
    const out: BuildRecord[] = [];
    let offset = 0;
    // Page through newest first until the filter is satisfied.
    while (out.length < limit) {
      const ids = await this.redis.zrevrange(set, offset, offset + 199);
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
