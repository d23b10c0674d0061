// GET /api/events: one server-sent event stream of build and environment changes for every open
// dashboard page (`event: build` / `event: environment`, data the record as the API shows it). One
// Redis subscription per server, shared by all streams; comment heartbeats keep proxies from
// closing. Nothing is replayed: a page reads the API when it (re)connects (`event: hello`).
import type { Response } from 'express';
import { Router } from 'express';
import type { Redis } from 'ioredis';
import { subscribeChanges, type ChangeEvent } from '../../core/events.ts';
import type { Keys } from '../../core/keys.ts';
import type { ApiDeps } from './deps.ts';
import { presentBuild } from './present.ts';

function frame(event: ChangeEvent): string {
  if (event.kind === 'build') return `event: build\ndata: ${JSON.stringify(presentBuild(event.build))}\n\n`;
  return `event: environment\ndata: ${JSON.stringify(event.environment)}\n\n`;
}

export function eventsRouter(deps: ApiDeps, redis: Redis, keys: Keys): Router {
  const r = Router();
  const heartbeatMs = (deps.heartbeatSeconds ?? 15) * 1000;
  const streams = new Set<Response>();
  let subscribed: Promise<() => Promise<void>> | undefined;
  const subscribe = () =>
    (subscribed ??= subscribeChanges(redis, keys, (event) => {
      if (event.kind !== 'build' && event.kind !== 'environment') return;
      const text = frame(event);
      for (const res of streams) res.write(text);
    }));
  deps.shutdown.addEventListener(
    'abort',
    () => {
      for (const res of streams) res.end();
      streams.clear();
      void subscribed?.then((unsubscribe) => unsubscribe());
    },
    { once: true },
  );

  r.get('/api/events', async (req, res) => {
    await subscribe();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\nevent: hello\ndata: {}\n\n');
    if (deps.shutdown.aborted) return void res.end();
    streams.add(res);
    const beat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    beat.unref();
    req.on('close', () => {
      clearInterval(beat);
      streams.delete(res);
    });
  });

  return r;
}
