// What integration tests need from the test environment (scripts/testenv/up.sh writes
// .slipway/testenv.env), and per-test isolation: a Redis key prefix, queue prefix, namespace.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createKeys, type Keys } from '../../core/keys.ts';
import { parseEnvFile } from '../../cli/up/local-cluster.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Testenv {
  redisUrl: string;
  /** host:port of the registry, e.g. 127.0.0.1:5123 */
  registry: string;
  /** An image tests can `FROM`: busybox-static, pushed to the registry. */
  baseImage: string;
  kubeconfig: string;
  helm: string;
  vars: Record<string, string>;
}

let cached: Testenv | undefined;

export function testenv(): Testenv {
  if (cached) return cached;
  const file = process.env.SLIPWAY_TESTENV_FILE ?? path.join(ROOT, '.slipway/testenv.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: start the test environment with scripts/testenv/up.sh (npm test does it)`);
  }
  const vars = parseEnvFile(text);
  const need = (k: string): string => {
    const v = vars[k];
    if (!v) throw new Error(`${file} has no ${k}`);
    return v;
  };
  cached = {
    redisUrl: need('SLIPWAY_TEST_REDIS_URL'),
    registry: need('SLIPWAY_TEST_REGISTRY'),
    baseImage: need('SLIPWAY_TEST_BASE_IMAGE'),
    kubeconfig: need('KUBECONFIG'),
    helm: need('SLIPWAY_TEST_HELM'),
    vars,
  };
  return cached;
}

/**
 * Environment for child processes (helm, kubectl, buildah, skopeo) so they find the test cluster,
 * the buildah storage (vfs, under .slipway), the loopback registry marked insecure, and the helm and
 * kwok binaries. Pass it as `exec(argv, { env: testenvChildEnv() })`.
 */
export function testenvChildEnv(): Record<string, string> {
  const v = testenv().vars;
  const env: Record<string, string> = {};
  for (const k of ['KUBECONFIG', 'CONTAINERS_STORAGE_CONF', 'CONTAINERS_REGISTRIES_CONF']) if (v[k]) env[k] = v[k];
  if (v.SLIPWAY_TEST_BIN_DIRS) env.PATH = `${v.SLIPWAY_TEST_BIN_DIRS}:${process.env.PATH ?? ''}`;
  return env;
}

/** A short random suffix for names that must not collide between tests (keys, queues, namespaces). */
export function uniqueName(base: string): string {
  return `${base}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key that starts with `prefix`. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
}

export interface TestRedis {
  redis: Redis;
  keys: Keys;
  prefix: string;
  bullPrefix: string;
  cleanup(): Promise<void>;
}

/** A Redis connection and key set of this test's own; `cleanup` deletes every key under the prefix. */
export async function testRedis(): Promise<TestRedis> {
  const prefix = `${uniqueName('t')}:`;
  const bullPrefix = `${prefix}bull`;
  const redis = new Redis(testenv().redisUrl, { maxRetriesPerRequest: null });
  return {
    redis,
    keys: createKeys(prefix),
    prefix,
    bullPrefix,
    async cleanup() {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}
