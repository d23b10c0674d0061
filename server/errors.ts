// The one place where error types become HTTP statuses. Bodies are `{ error: { type, message } }`;
// an unexpected error is logged and answered without its details.
import type { ServerResponse } from 'node:http';
import { SlipwayError, type ErrorType } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

const STATUS: Record<ErrorType, number> = {
  config: 500,
  validation: 400,
  webhook: 400,
  signature: 401,
  'payload-too-large': 413,
  unauthorized: 401,
  'not-found': 404,
  conflict: 409,
  'child-process': 500,
  deploy: 500,
  cancelled: 409,
  unavailable: 503,
  internal: 500,
};

export interface ErrorBody {
  error: { type: ErrorType; message: string };
}

export function errorResponse(err: unknown, log?: Logger): { status: number; body: ErrorBody } {
  if (err instanceof SlipwayError && err.type !== 'internal') {
    return { status: STATUS[err.type], body: { error: err.toJSON() } };
  }
  log?.error({ err }, 'request failed');
  return { status: 500, body: { error: { type: 'internal', message: 'internal error' } } };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown, log?: Logger): number {
  const { status, body } = errorResponse(err, log);
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  sendJson(res, status, body, status === 401 ? { 'www-authenticate': 'Bearer' } : {});
  return status;
}
