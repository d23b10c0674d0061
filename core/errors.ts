// A small error hierarchy. Every error has a `type`; the HTTP layer maps type to status in one
// place (server/errors.ts) and the CLI prints `message`. Nothing here may carry a secret.

export type ErrorType =
  | 'config'
  | 'validation'
  | 'webhook'
  | 'signature'
  | 'payload-too-large'
  | 'unauthorized'
  | 'not-found'
  | 'conflict'
  | 'child-process'
  | 'deploy'
  | 'cancelled'
  | 'unavailable'
  | 'internal';

export class SlipwayError extends Error {
  readonly type: ErrorType;
  /** Permanent failures are not retried (bad pipeline file, failing test, failed helm install). */
  readonly permanent: boolean;

  constructor(type: ErrorType, message: string, options: { cause?: unknown; permanent?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.type = type;
    this.permanent = options.permanent ?? true;
  }

  toJSON(): { type: ErrorType; message: string } {
    return { type: this.type, message: this.message };
  }
}

/** One problem in a configuration or pipeline file, with its place. */
export interface Problem {
  file?: string;
  line?: number;
  column?: number;
  path?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  const where = [p.file, p.line, p.column].filter((x) => x !== undefined).join(':');
  const key = p.path ? `${p.path}: ` : '';
  return where ? `${where}: ${key}${p.message}` : `${key}${p.message}`;
}

export class ConfigError extends SlipwayError {
  readonly problems: Problem[];
  constructor(message: string, problems: Problem[] = []) {
    super('config', problems.length ? `${message}\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}` : message);
    this.problems = problems;
  }
}

export class ValidationError extends SlipwayError {
  constructor(message: string) {
    super('validation', message);
  }
}

export class WebhookError extends SlipwayError {
  constructor(type: 'webhook' | 'signature' | 'payload-too-large', message: string) {
    super(type, message);
  }
}

export class UnauthorizedError extends SlipwayError {
  constructor(message = 'a valid bearer token is required') {
    super('unauthorized', message);
  }
}

export class NotFoundError extends SlipwayError {
  constructor(message: string) {
    super('not-found', message);
  }
}

export class ConflictError extends SlipwayError {
  constructor(message: string) {
    super('conflict', message);
  }
}

export class CancelledError extends SlipwayError {
  constructor(message = 'cancelled') {
    super('cancelled', message);
  }
}

export class DeployError extends SlipwayError {
  constructor(message: string, options: { cause?: unknown; permanent?: boolean } = {}) {
    super('deploy', message, options);
  }
}

export class UnavailableError extends SlipwayError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('unavailable', message, { ...options, permanent: false });
  }
}

/** A subprocess that failed: carries the command (already masked) and the tail of its output. */
export class ChildProcessError extends SlipwayError {
  readonly command: string[];
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly tail: string[];

  constructor(opts: {
    command: string[];
    exitCode?: number | undefined;
    signal?: string | undefined;
    timedOut?: boolean;
    tail: string[];
    permanent?: boolean;
  }) {
    const how = opts.timedOut
      ? 'timed out'
      : opts.signal
        ? `was killed by ${opts.signal}`
        : `exited with code ${opts.exitCode ?? '?'}`;
    const tail = opts.tail.length ? `\n${opts.tail.join('\n')}` : '';
    super('child-process', `${opts.command.join(' ')} ${how}${tail}`, { permanent: opts.permanent ?? true });
    this.command = opts.command;
    this.exitCode = opts.exitCode;
    this.signal = opts.signal;
    this.timedOut = opts.timedOut ?? false;
    this.tail = opts.tail;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
