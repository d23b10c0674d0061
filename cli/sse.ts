// A small Server-Sent Events reader over fetch: what `slipway logs -f` uses to follow a build.
import type { BuildStatus } from '../core/records.ts';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Parses an SSE byte stream into events (comments and `retry:` are skipped). */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buf = '';
  let ev: { id?: string; event?: string; data: string[] } = { data: [] };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.search(/\r?\n/)) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(buf[nl] === '\r' ? nl + 2 : nl + 1);
      if (line === '') {
        if (ev.data.length || ev.event) {
          yield { ...(ev.id !== undefined ? { id: ev.id } : {}), event: ev.event ?? 'message', data: ev.data.join('\n') };
        }
        ev = { data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') ev.data.push(value);
      else if (field === 'event') ev.event = value;
      else if (field === 'id') ev.id = value;
    }
  }
}

export interface FollowOptions {
  headers?: Record<string, string>;
  lastEventId?: number;
  onLine: (line: string, n: number) => void;
  signal?: AbortSignal;
}

/**
 * Follows a build log until its end event; reconnects with Last-Event-ID when the stream drops.
 * Returns the final status.
 */
export async function followLog(url: string, options: FollowOptions): Promise<BuildStatus> {
  let last = options.lastEventId ?? 0;
  let failures = 0;
  for (;;) {
    try {
      const res = await fetch(url, {
        headers: { ...options.headers, accept: 'text/event-stream', ...(last ? { 'last-event-id': String(last) } : {}) },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!res.ok || !res.body) {
        const text = await res.text();
        throw Object.assign(new Error(`GET ${url}: ${res.status} ${text}`), { permanent: res.status < 500 });
      }
      for await (const ev of readSse(res.body)) {
        failures = 0;
        if (ev.id !== undefined && /^\d+$/.test(ev.id)) last = Number(ev.id);
        if (ev.event === 'end') return (JSON.parse(ev.data) as { status: BuildStatus }).status;
        if (ev.event === 'message') options.onLine(ev.data, last);
      }
      // the stream closed before the end event: reconnect and resume after the last line
      if (++failures > 10) throw new Error(`GET ${url}: the log stream keeps closing`);
    } catch (err) {
      if (options.signal?.aborted || (err as { permanent?: boolean }).permanent) throw err;
      if (++failures > 10) throw err;
    }
    await new Promise((r) => setTimeout(r, Math.min(500 * failures, 3000)));
  }
}
