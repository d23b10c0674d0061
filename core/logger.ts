// pino, with the fields that might carry secrets redacted. Messages are fixed strings; values go
// into structured fields.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'slipway',
    level: options.level ?? process.env.SLIPWAY_LOG_LEVEL ?? 'info',
    redact: {
      paths: ['token', 'secret', 'password', 'authorization', '*.token', '*.secret', '*.password', '*.authorization', 'req.headers.authorization'],
      censor: '***',
    },
  });
}

/** A logger that drops everything: the default in tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
