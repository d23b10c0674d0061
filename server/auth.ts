// Bearer token on REST writes, compared in constant time (digests, so lengths do not leak).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { UnauthorizedError } from '../core/errors.ts';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function tokenMatches(expected: string | undefined, header: string | undefined): boolean {
  if (!expected || !header) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  return timingSafeEqual(digest(expected), digest(m[1]!));
}

/** Express middleware: 401 unless the request carries the API token. */
export function requireToken(expected: string | undefined) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!expected) return next(new UnauthorizedError('this server has no API token configured (SLIPWAY_API_TOKEN), so writes are refused'));
    if (!tokenMatches(expected, req.headers.authorization)) return next(new UnauthorizedError());
    next();
  };
}

/** Who asked, for the build's trigger: the X-Slipway-User header the CLI sends, else `api`. */
export function requester(req: Request): string {
  const by = req.headers['x-slipway-user'];
  return typeof by === 'string' && by ? by.slice(0, 100) : 'api';
}
