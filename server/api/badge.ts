// GET /api/pipelines/:name/badge.svg?branch=: the status of a pipeline's (or a branch's) latest build
// as an SVG badge for a README. The text is the status word, so colour is not the only signal.
import { Router } from 'express';
import type { BuildStatus } from '../../core/records.ts';
import type { ApiDeps } from './deps.ts';

const COLOURS: Record<BuildStatus | 'none' | 'unknown', string> = {
  succeeded: '#1a7f37',
  failed: '#cf222e',
  running: '#9a6700',
  queued: '#57606a',
  cancelled: '#57606a',
  none: '#57606a',
  unknown: '#57606a',
};

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A flat two-part badge; widths estimated from the text (Verdana 11px, ~7px a character). */
export function badgeSvg(label: string, message: string, colour: string): string {
  const lw = Math.round(label.length * 6.5 + 12);
  const mw = Math.round(message.length * 6.5 + 12);
  const w = lw + mw;
  const [l, m] = [escapeXml(label), escapeXml(message)];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${l}: ${m}"><title>${l}: ${m}</title><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${colour}"/><g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11"><text x="${lw / 2}" y="14">${l}</text><text x="${lw + mw / 2}" y="14">${m}</text></g></svg>`;
}

export function badgeRouter(deps: ApiDeps): Router {
  const r = Router();
  const { builds } = deps.trigger;
  r.get('/api/pipelines/:name/badge.svg', async (req, res) => {
    const name = String(req.params.name);
    const branch = typeof req.query.branch === 'string' && req.query.branch !== '' ? req.query.branch.slice(0, 255) : undefined;
    res.type('image/svg+xml').set('Cache-Control', 'no-cache, max-age=0');
    if (!deps.pipelines().some((p) => p.pipeline.metadata.name === name)) {
      return void res.status(404).send(badgeSvg(name.slice(0, 60), 'no such pipeline', COLOURS.unknown));
    }
    const [latest] = await builds.list(name, { limit: 1, ...(branch !== undefined ? { branch } : {}) });
    const label = branch === undefined ? name : `${name} ${branch}`.slice(0, 80);
    res.send(badgeSvg(label, latest?.status ?? 'no builds', COLOURS[latest?.status ?? 'none']));
  });
  return r;
}
