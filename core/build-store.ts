// Build records in Redis: numbers from one INCR per pipeline, the record as JSON, a sorted set
// per pipeline (and per branch) by number. Updates are compare-and-set so server and runner can
// both write without losing each other's changes.
import type { Redis } from 'ioredis';
import { NotFoundError } from './errors.ts';
import { buildId, nowIso } from './ids.ts';
import type { Keys } from './keys.ts';
import type { BuildRecord, BuildStatus } from './records.ts';

const CAS = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0`;

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

  async create(input: NewBuild): Promise<BuildRecord> {
    const number = await this.redis.incr(this.keys.counter(input.pipeline));
    const record: BuildRecord = {
      ...input,
      id: buildId(input.pipeline, number),
      number,
      status: input.status ?? 'queued',
      createdAt: nowIso(),
      stages: [],
      images: [],
    };
    const multi = this.redis
      .multi()
      .set(this.keys.build(record.id), JSON.stringify(record))
      .zadd(this.keys.builds(record.pipeline), number, record.id)
      .sadd(this.keys.pipelines(), record.pipeline);
    if (record.branch !== undefined) multi.zadd(this.keys.branchBuilds(record.pipeline, record.branch), number, record.id);
    await multi.exec();
    return record;
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
      const ok = await this.redis.eval(CAS, 1, key, raw, JSON.stringify(next));
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
