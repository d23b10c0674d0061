// Environment records: one per (pipeline, branch) under env:<pipeline>:<branch>, indexed by id in
// the `envs` hash (id → pipeline/branch key) so the API can find one by id.
import type { Redis } from 'ioredis';
import { publishChange } from './events.ts';
import type { Keys } from './keys.ts';
import type { EnvironmentRecord } from './records.ts';

const CAS = `
local cur = redis.call('GET', KEYS[1])
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0`;

export class EnvStore {
  constructor(
    readonly redis: Redis,
    readonly keys: Keys,
  ) {}

  async get(pipeline: string, branch: string): Promise<EnvironmentRecord | undefined> {
    const raw = await this.redis.get(this.keys.env(pipeline, branch));
    return raw ? (JSON.parse(raw) as EnvironmentRecord) : undefined;
  }

  async getById(id: string): Promise<EnvironmentRecord | undefined> {
    const key = await this.redis.hget(this.keys.envs(), id);
    if (!key) return undefined;
    const raw = await this.redis.get(key);
    return raw ? (JSON.parse(raw) as EnvironmentRecord) : undefined;
  }

  async list(): Promise<EnvironmentRecord[]> {
    const keys = await this.redis.hvals(this.keys.envs());
    if (keys.length === 0) return [];
    const raws = await this.redis.mget(keys);
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as EnvironmentRecord);
  }

  /**
   * Creates or changes the record of (pipeline, branch) atomically. `change` gets the current
   * record (or undefined) and returns the new one, or undefined to leave it.
   */
  async upsert(pipeline: string, branch: string, change: (cur: EnvironmentRecord | undefined) => EnvironmentRecord | undefined): Promise<EnvironmentRecord | undefined> {
    const key = this.keys.env(pipeline, branch);
    for (;;) {
      const raw = await this.redis.get(key);
      const next = change(raw ? (JSON.parse(raw) as EnvironmentRecord) : undefined);
      if (!next) return raw ? (JSON.parse(raw) as EnvironmentRecord) : undefined;
      const json = JSON.stringify(next);
      const ok = await this.redis.eval(CAS, 1, key, raw ?? '', json);
      if (ok === 1) {
        await this.redis.hset(this.keys.envs(), next.id, key);
        publishChange(this.redis, this.keys, 'environment', json);
        return next;
      }
    }
  }
}
