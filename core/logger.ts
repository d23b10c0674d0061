// pino, with the fields that might carry secrets redacted. Messages are fixed strings; values go
// into structured fields. `pretty` prints one short human line per entry (for `slipway up` in a
// terminal) instead of JSON.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export type { Logger };

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name']);

/** `12:00:01 INFO  runner started concurrency=2` */
export function prettyLine(json: string): string {
  try {
    const entry = JSON.parse(json) as Record<string, unknown>;
    const time = new Date(Number(entry.time)).toISOString().slice(11, 19);
    const fields = Object.entries(entry)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${time} ${(LEVELS[Number(entry.level)] ?? 'LOG').padEnd(5)} ${String(entry.msg ?? '')}${fields ? ` ${fields}` : ''}\n`;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
}

function prettyStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) out.write(prettyLine(line));
      done();
    },
  });
}

export function createLogger(options: { level?: string; name?: string; pretty?: boolean } = {}): Logger {
  const opts = {
    name: options.name ?? 'slipway',
    level: options.level ?? process.env.SLIPWAY_LOG_LEVEL ?? 'info',
    redact: {
      paths: ['token', 'secret', 'password', 'authorization', '*.token', '*.secret', '*.password', '*.authorization', 'req.headers.authorization'],
      censor: '***',
    },
  };
  return options.pretty ? pino(opts, prettyStream(process.stderr)) : pino(opts);
}

/**
 * The logger of a command a person runs (`up`, `run`, `dev`): human lines on stderr, out of the
 * way of the build log on stdout, unless SLIPWAY_LOG_FORMAT=json (pino's JSON lines on stdout);
 * at SLIPWAY_LOG_LEVEL, else the command's own default. `server` and `runner` run as processes
 * of their own and log JSON lines.
 */
export function commandLogger(env: NodeJS.ProcessEnv, name: string, defaultLevel = 'info'): Logger {
  return createLogger({ name, level: env.SLIPWAY_LOG_LEVEL ?? defaultLevel, pretty: env.SLIPWAY_LOG_FORMAT !== 'json' });
}

/** A logger that drops everything: the default in tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
