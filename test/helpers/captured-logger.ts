// A pino logger whose lines a test can read (e.g. to assert a secret never reaches a log line).
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export function capturedLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}
