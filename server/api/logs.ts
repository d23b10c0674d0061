// GET /api/builds/:id/log: the log as text, or followed live over SSE when the client asks for
// text/event-stream. `id:` is the line number, so Last-Event-ID resumes; the last event is
// `event: end` carrying the build's final status; comment heartbeats keep proxies from closing.
import type { Response } from 'express';
import { Router } from 'express';
import { ValidationError } from '../../core/errors.ts';
import type { LogEntry } from '../../core/log-stream.ts';
import { isFinal, type BuildStatus } from '../../core/records.ts';
import type { ApiDeps } from './deps.ts';

function dataLines(text: string): string {
  return text
    .split(/\r?\n|\r/)
    .map((l) => `data: ${l}\n`)
    .join('');
}

function writeEntry(res: Response, e: LogEntry): void {
  if (e.status) res.write(`id: ${e.n}\nevent: end\ndata: ${JSON.stringify({ status: e.status })}\n\n`);
  else if (e.line !== undefined) res.write(`id: ${e.n}\n${dataLines(e.line)}\n`);
}

function lastEventId(raw: string | string[] | undefined): number {
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined || v === '') return 0;
  if (!/^\d+$/.test(v)) throw new ValidationError('Last-Event-ID must be a line number');
  return Number(v);
}

export function logsRouter(deps: ApiDeps): Router {
  const r = Router();
  const { builds, logs } = deps.trigger;
  const heartbeatMs = (deps.heartbeatSeconds ?? 15) * 1000;

  r.get('/api/builds/:id/log', async (req, res) => {
    const id = String(req.params.id);
    const record = await builds.require(id);
    if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
      res.type('text/plain; charset=utf-8').send(await logs.text(id));
      return;
    }
    const after = lastEventId(req.headers['last-event-id']);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');

    const abort = new AbortController();
    const stop = () => abort.abort();
    req.on('close', stop);
    deps.shutdown.addEventListener('abort', stop, { once: true });
    let ended = false;
    const end = (status: BuildStatus) => {
      if (ended) return;
      ended = true;
      res.write(`event: end\ndata: ${JSON.stringify({ status })}\n\n`);
    };

    // A finished build whose log never got its end entry must not be followed forever: when the
    // record has been final for two heartbeats in a row, end with its status.
    let finalSeen = isFinal(record.status) ? 1 : 0;
    const beat = setInterval(() => {
      res.write(': heartbeat\n\n');
      builds
        .get(id)
        .then((now) => {
          if (!now || !isFinal(now.status)) return void (finalSeen = 0);
          if (++finalSeen >= 2) {
            end(now.status);
            stop();
          }
        })
        .catch(() => undefined);
    }, heartbeatMs);
    beat.unref();

    try {
      const status = await logs.follow(id, after, (e) => writeEntry(res, e), abort.signal);
      if (status) ended = true;
    } catch (err) {
      deps.log.warn({ build: id, err }, 'log follow failed');
    } finally {
      clearInterval(beat);
      req.off('close', stop);
      deps.shutdown.removeEventListener('abort', stop);
      res.end();
    }
  });

  return r;
}
