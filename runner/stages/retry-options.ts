// How a stage retries what may fail transiently: the runner's attempts and backoff, and the
// build's cancel signal (except in the deploy, which a cancel does not stop).
import type { RetryOptions } from '../retry.ts';
import type { BuildScope } from './types.ts';

export function retryOptions(scope: BuildScope, cancellable = true): RetryOptions {
  return {
    attempts: scope.deps.retryAttempts ?? 3,
    backoffMs: scope.deps.retryBackoffMs ?? 1000,
    ...(cancellable ? { signal: scope.signal } : {}),
  };
}
