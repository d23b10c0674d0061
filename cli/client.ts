// The CLI's HTTP client for the REST API: errors come back as the server's `{ error }` message. The
// first request is preceded by GET /healthz with a short deadline, so a server that is not there
// (refused, or a port that never answers) is reported at once, naming its URL and where the URL came
// from, instead of after fetch's own long connect timeout.
import { SlipwayError, type ErrorType } from '../core/errors.ts';
import type { ClientTarget } from './context.ts';

export const REACH_TIMEOUT_MS = 2000;

export class ApiClient {
  private reached: Promise<void> | undefined;

  constructor(readonly target: ClientTarget) {}

  unreachable(cause: string): SlipwayError {
    const from = this.target.from === '--server' ? '' : `, from ${this.target.from}`;
    return new SlipwayError('unavailable', `cannot reach the Slipway server at ${this.target.server} (${cause}${from}): is slipway up running? use --server URL`);
  }

  /** Throws the unreachable error unless the server answers GET /healthz in time (checked once). */
  ensureReachable(): Promise<void> {
    this.reached ??= (async () => {
      let res: Response;
      try {
        res = await fetch(this.url('/healthz'), { signal: AbortSignal.timeout(REACH_TIMEOUT_MS) });
        await res.arrayBuffer();
      } catch (err) {
        const e = err as { name?: string; cause?: { code?: string }; message?: string };
        throw this.unreachable(e.name === 'TimeoutError' ? `no answer in ${REACH_TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.message ?? String(err)));
      }
      if (!res.ok) throw this.unreachable(`GET /healthz answered ${res.status}: not a Slipway server?`);
    })();
    return this.reached;
  }

  headers(write: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', 'x-slipway-user': this.target.user };
    if (write && this.target.token) h.authorization = `Bearer ${this.target.token}`;
    return h;
  }

  url(path: string): string {
    return `${this.target.server}${path}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const write = method !== 'GET';
    await this.ensureReachable();
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers: { ...this.headers(write), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw this.unreachable((err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err)));
    }
    const text = await res.text();
    if (!res.ok) {
      let type: ErrorType = 'internal';
      let message = `${method} ${path} answered ${res.status}`;
      try {
        const parsed = JSON.parse(text) as { error?: { type?: ErrorType; message?: string } };
        if (parsed.error?.message) message = parsed.error.message;
        if (parsed.error?.type) type = parsed.error.type;
      } catch {
        // not JSON: keep the status line
      }
      if (res.status === 401 && !this.target.token) message += ' (give --token or set SLIPWAY_API_TOKEN)';
      throw new SlipwayError(type, message);
    }
    const type = res.headers.get('content-type') ?? '';
    return (type.includes('application/json') ? JSON.parse(text) : text) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}
