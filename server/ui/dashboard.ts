// The web dashboard, served as it is (no build step): one HTML shell for the pages with stable URLs
// (`/`, `/pipelines/<name>`, `/builds/<id>`, `/environments`), whose script (static/app.js) reads
// the REST API, follows GET /api/events and the log's SSE stream, and builds every node with
// textContent (log lines go through ansi_up, which escapes them). A Content-Security-Policy allows
// scripts from this origin only. With the queues given, /admin/queues is bull-board's read-only view
// of the BullMQ queues, behind the API token (Bearer, or Basic with the token as password).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ApiDeps } from '../api/deps.ts';
import { tokenMatches } from '../auth.ts';

/** server/ui/static, found from here whether this runs as TypeScript or from a bundle in dist/. */
function staticDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    for (const candidate of [path.join(dir, 'static'), path.join(dir, 'server', 'ui', 'static')]) {
      if (existsSync(path.join(candidate, 'app.js'))) return candidate;
    }
    if (path.dirname(dir) === dir) throw new Error('the dashboard files (server/ui/static) are missing');
    dir = path.dirname(dir);
  }
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // ansi_up colours true-colour escapes with style attributes
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Slipway</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Slipway</a>
  <nav aria-label="Main"><ul>
    <li><a href="/">Pipelines</a></li>
    <li><a href="/environments">Environments</a></li>
    <li><a href="/admin/queues">Queues</a></li>
  </ul></nav>
  <div id="session" class="session"></div>
</header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<div id="announce" class="visually-hidden" role="status" aria-live="polite"></div>
</body>
</html>`;

/** The token from `Authorization: Bearer T` or `Basic base64(any:T)` (a browser's own prompt). */
function requestToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!basic) return header;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : `Bearer ${decoded.slice(colon + 1)}`;
}

function queuesAuth(expected: string | undefined): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (expected && tokenMatches(expected, requestToken(req.headers.authorization))) return next();
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="Slipway queues", charset="UTF-8"')
      .type('text/plain')
      .send(expected ? 'The queues need the API token: give it as the password (any user name).\n' : 'This server has no API token configured (SLIPWAY_API_TOKEN), so the queues are not shown.\n');
  };
}

/** bull-board over the server's queues, read-only, loaded on first use (the CLI does not need it). */
function queueBoard(deps: ApiDeps): RequestHandler {
  let board: Promise<RequestHandler> | undefined;
  const load = async (): Promise<RequestHandler> => {
    const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/express'),
    ]);
    const adapter = new ExpressAdapter();
    adapter.setBasePath('/admin/queues');
    const { builds, teardown } = deps.trigger.queues;
    createBullBoard({
      queues: [builds, teardown].map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'Slipway queues' } },
    });
    return adapter.getRouter() as RequestHandler;
  };
  return (req, res, next) => {
    board ??= load();
    board.then((handler) => handler(req, res, next), next);
  };
}

export function createDashboard(deps?: ApiDeps): Router {
  const router = Router();
  const dir = staticDir();
  const ansiUp = createRequire(import.meta.url).resolve('ansi_up');
  const page = (_req: Request, res: Response) => {
    res.type('html').set({ 'Cache-Control': 'no-store', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' }).send(SHELL);
  };
  router.get(['/', '/environments', '/pipelines/:name', '/builds/:id'], page);
  router.get('/ui/vendor/ansi_up.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'no-cache').sendFile(ansiUp);
  });
  router.use('/ui', express.static(dir, { index: false, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }));
  if (deps) router.use('/admin/queues', queuesAuth(deps.apiToken), queueBoard(deps));
  return router;
}
