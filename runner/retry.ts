// Which failures are worth trying again, and trying them again. Transient: a SlipwayError that
// says so (permanent: false), a command whose output says the network or the server failed it
// (connection refused or reset, timeouts of a connection, a registry's or forge's 5xx, a
// Kubernetes cluster unreachable), a Kubernetes API answer 429 or 5xx, a socket error. Permanent:
// everything else (a bad pipeline file, a failing test, helm's validation, a cancel). Permanent
// failures are never retried; transient ones a bounded number of times, with backoff.
import { CancelledError, ChildProcessError, SlipwayError } from '../core/errors.ts';

const TRANSIENT_OUTPUT =
  /connection refused|connection reset|broken pipe|i\/o timeout|tls handshake timeout|no such host|could not resolve host|temporary failure in name resolution|unexpected eof|early eof|the remote end hung up unexpectedly|rpc failed|kubernetes cluster unreachable|server is currently unable to handle|service unavailable|bad gateway|gateway time-?out|too many requests|internal server error|\b(http|status|error|code)[: ]+(429|50[0-4])\b|\b(429|50[0-4]) (too many|internal|bad gateway|service|gateway)/i;

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

function httpStatus(err: object): number | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return code; // @kubernetes/client-node's ApiException
  const status = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Whether trying again could succeed. */
export function isTransient(err: unknown): boolean {
  if (err instanceof CancelledError) return false;
  if (err instanceof ChildProcessError) return !err.permanent || TRANSIENT_OUTPUT.test([...err.tail, err.message].join('\n'));
  if (err instanceof SlipwayError) return !err.permanent;
  if (typeof err !== 'object' || err === null) return false;
  const status = httpStatus(err);
  if (status !== undefined && status >= 100) return status === 429 || status >= 500;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isTransient(cause);
}

/** Whether the failure will happen the same way again: a SlipwayError that is not transient. */
export function isPermanent(err: unknown): boolean {
  return err instanceof SlipwayError && !isTransient(err);
}

export interface RetryOptions {
  /** Tries in all (the first one included). Default 3. */
  attempts?: number;
  /** Wait before the second try; doubles each time. Default 1 s. */
  backoffMs?: number;
  /** Stops waiting and trying when aborted (the last error is thrown). */
  signal?: AbortSignal;
  /** Told before each wait, e.g. to log "push failed (attempt 1 of 3), retrying". */
  onRetry?: (err: unknown, attempt: number, attempts: number) => void;
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs `fn`; a transient failure is tried again with backoff, at most `attempts` tries in all. */
export async function retry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  let backoff = options.backoffMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !isTransient(err) || options.signal?.aborted) throw err;
      options.onRetry?.(err, attempt, attempts);
      await wait(backoff, options.signal);
      if (options.signal?.aborted) throw err;
      backoff *= 2;
    }
  }
}

/** An error's first line, for a log line saying why a retry happens. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
