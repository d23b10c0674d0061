// A builder turns an artifact into argv for the build and for the push, and reads back the
// pushed digest. Registry credentials come from REGISTRY_AUTH_FILE / DOCKER_CONFIG, never argv.
import { isLoopbackHost } from '../registry/image-name.ts';

export interface BuildInput {
  /** Absolute path of the build context. */
  context: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** image:tag */
  ref: string;
  buildArgs: Record<string, string>;
  target?: string;
  /** One target platform, os/arch[/variant] (Skaffold's `platforms` of one entry); default the runner's. */
  platform?: string;
  /** A file the push writes the digest into (for builders that can). */
  digestFile: string;
  /** Plain HTTP / unverified TLS: only for loopback registries (127.0.0.1, localhost). */
  insecureRegistry: boolean;
  /**
   * A registry repository for cached layers (`<image>/cache`): builds reuse the layers found there
   * and push theirs. Without it the builder caches nothing (a forced rebuild).
   */
  cacheRepo?: string;
}

export interface Builder {
  name: string;
  buildArgv(input: BuildInput): string[];
  /** undefined when the build already pushed (buildkit, kaniko). */
  pushArgv(input: BuildInput): string[] | undefined;
  /** The pushed digest (sha256:...), from the digest file or the push output. */
  digest(input: BuildInput, pushOutput: string): Promise<string>;
}

/** Loopback registries (the test environment's, a local one) get plain HTTP. */
export function isLoopbackRegistry(image: string): boolean {
  return isLoopbackHost(image.split('/')[0] ?? '');
}

/** Where an image's cached layers live in the registry. */
export function cacheRepoOf(image: string): string {
  return `${image}/cache`;
}

export const DIGEST = /sha256:[0-9a-f]{64}/;

export function buildArgFlags(args: Record<string, string>, flag = '--build-arg'): string[] {
  return Object.entries(args).flatMap(([k, v]) => [flag, `${k}=${v}`]);
}
