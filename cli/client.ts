// The CLI's HTTP client for the REST API: errors come back as the server's `{ error }` message.
import { SlipwayError, type ErrorType } from '../core/errors.ts';
import type { ClientTarget } from './context.ts';

export class ApiClient {
  constructor(readonly target: ClientTarget) {}

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
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers: { ...this.headers(write), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
      throw new SlipwayError('unavailable', `cannot reach the Slipway server at ${this.target.server} (${cause}); use --server URL`);
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
