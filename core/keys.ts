// Every Redis key Slipway uses, in one place. Tests pass their own prefix.

export const DEFAULT_PREFIX = 'slipway:';

export interface Keys {
  prefix: string;
  counter(pipeline: string): string;
  build(id: string): string;
  builds(pipeline: string): string;
  /** Builds per branch of a pipeline, scored by number: what supersede looks through. */
  branchBuilds(pipeline: string, branch: string): string;
  log(id: string): string;
  delivery(forge: string, deliveryId: string): string;
  /** A push already seen (pipeline, ref, before, after as a digest): replays of it within the window are ignored. */
  push(pipeline: string, digest: string): string;
  /** Queued builds whose BullMQ job may not be added yet (scored by ms): what the job repair looks through. */
  unqueued(): string;
  env(pipeline: string, branch: string): string;
  envs(): string;
  envLock(namespace: string): string;
  /** Pub/sub channel on which cancel requests reach runners. */
  cancelChannel(): string;
  pipelines(): string;
  /** Pub/sub channel of build and environment changes (what GET /api/events streams). */
  events(): string;
  /** A build's commit statuses: wanted, sent, where they go (core/status-sender.ts). */
  commitStatus(id: string): string;
  commitStatusLock(id: string): string;
}

export function createKeys(prefix = DEFAULT_PREFIX): Keys {
  return {
    prefix,
    counter: (p) => `${prefix}pipeline:${p}:counter`,
    build: (id) => `${prefix}build:${id}`,
    builds: (p) => `${prefix}builds:${p}`,
    branchBuilds: (p, b) => `${prefix}branch-builds:${p}:${b}`,
    log: (id) => `${prefix}log:${id}`,
    delivery: (forge, id) => `${prefix}delivery:${forge}:${id}`,
    push: (p, digest) => `${prefix}push:${p}:${digest}`,
    unqueued: () => `${prefix}unqueued`,
    env: (p, b) => `${prefix}env:${p}:${b}`,
    envs: () => `${prefix}envs`,
    envLock: (ns) => `${prefix}lock:env:${ns}`,
    cancelChannel: () => `${prefix}cancel`,
    pipelines: () => `${prefix}pipelines`,
    events: () => `${prefix}events`,
    commitStatus: (id) => `${prefix}status:${id}`,
    commitStatusLock: (id) => `${prefix}lock:status:${id}`,
  };
}
