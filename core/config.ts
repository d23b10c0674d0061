// Configuration from the environment. Everything is optional; defaults suit `slipway up`.
import path from 'node:path';
import { ConfigError } from './errors.ts';

export interface Config {
  /** Redis URL; undefined means `slipway up` starts an embedded redis-server. */
  redisUrl: string | undefined;
  port: number;
  host: string;
  pipelinesDir: string;
  apiToken: string | undefined;
  publicUrl: string;
  workdir: string;
  /** Where `slipway up` keeps its state (.slipway). */
  dataDir: string;
  concurrency: number;
  keyPrefix: string;
  kubeconfig: string | undefined;
  /** How long a push (pipeline, ref, before, after) is remembered: a replay of it within this is ignored. 0 off. */
  duplicatePushSeconds: number;
  /** SLIPWAY_DEFAULT_REPO: the registry image names are rewritten onto (Skaffold's --default-repo). */
  defaultRepo: string | undefined;
  /**
   * SLIPWAY_LEAK_GRACE_MS: how old an orphaned Slipway namespace must be before the leak scan tears
   * it down; undefined: the scan's default (runner/environments/leak-scan.ts, 10 minutes).
   */
  leakGraceMs: number | undefined;
  /**
   * SLIPWAY_STOP_GRACE_MS: how long running builds may finish after SIGTERM before they are
   * cancelled; undefined: the command's default (`up` 30 s, `runner` 10 min).
   */
  stopGraceMs: number | undefined;
  /** SLIPWAY_REDIS_WAIT_MS: how long `up` waits for an external SLIPWAY_REDIS_URL to answer; undefined: 10 s. */
  redisWaitMs: number | undefined;
}

/**
 * The one reader of a numeric setting: a whole number written in plain decimal digits (blanks
 * around it are dropped) in [min, max], else a ConfigError naming the variable. Unset, empty or only
 * blanks is unset (undefined): never 0, which for some settings means "at once". Number() alone
 * took "1e3", "0x10" and "5.0", and " " as 0.
 */
export function optionalIntegerSetting(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  const text = raw?.trim();
  if (!text) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** A numeric setting read as optionalIntegerSetting does, `fallback` when unset. */
export function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  return optionalIntegerSetting(env, name, min, max) ?? fallback;
}

function defaultRepo(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.SLIPWAY_DEFAULT_REPO;
  if (!raw) return undefined;
  if (!/^[a-z0-9.:_/-]+$/.test(raw)) throw new ConfigError(`SLIPWAY_DEFAULT_REPO must be a registry host with an optional path (e.g. 127.0.0.1:5000/team), got ${JSON.stringify(raw)}`);
  return raw.replace(/\/+$/, '');
}

export function readConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const dataDir = path.resolve(cwd, env.SLIPWAY_DATA_DIR || '.slipway');
  const port = integerSetting(env, 'SLIPWAY_PORT', 8080, 0, 65535);
  const host = env.SLIPWAY_HOST || '127.0.0.1';
  const redisUrl = env.SLIPWAY_REDIS_URL || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError(`SLIPWAY_REDIS_URL must start with redis:// or rediss://`);
  }
  return {
    redisUrl,
    port,
    host,
    pipelinesDir: path.resolve(cwd, env.SLIPWAY_PIPELINES || 'pipelines'),
    apiToken: env.SLIPWAY_API_TOKEN || undefined,
    publicUrl: (env.SLIPWAY_PUBLIC_URL || `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`).replace(/\/+$/, ''),
    workdir: path.resolve(cwd, env.SLIPWAY_WORKDIR || path.join(dataDir, 'work')),
    dataDir,
    concurrency: integerSetting(env, 'SLIPWAY_CONCURRENCY', 2, 1, 64),
    keyPrefix: env.SLIPWAY_KEY_PREFIX || 'slipway:',
    kubeconfig: env.KUBECONFIG || undefined,
    duplicatePushSeconds: integerSetting(env, 'SLIPWAY_DUPLICATE_PUSH_SECONDS', 3600, 0, 30 * 24 * 3600),
    defaultRepo: defaultRepo(env),
    leakGraceMs: optionalIntegerSetting(env, 'SLIPWAY_LEAK_GRACE_MS', 0, 30 * 24 * 3600_000),
    // a timer (setTimeout): well under Node's limit of 2^31-1 ms, past which it would fire at once
    stopGraceMs: optionalIntegerSetting(env, 'SLIPWAY_STOP_GRACE_MS', 0, 24 * 3600_000),
    redisWaitMs: optionalIntegerSetting(env, 'SLIPWAY_REDIS_WAIT_MS', 0, 3600_000),
  };
}
