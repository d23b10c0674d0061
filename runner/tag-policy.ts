// What tag policies are made of (plan-tags.ts computes a plan's tags): Go-layout dates in a
// timezone, and the digest of an artifact's inputs.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../core/errors.ts';

function parts(date: Date, timeZone: string): Record<string, string> {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
  } catch {
    throw new ValidationError(`tagPolicy.dateTime.timezone ${JSON.stringify(timeZone)} is not a known time zone`);
  }
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(date)) out[p.type] = p.value;
  return out;
}

/** Formats `date` with a Go reference layout (2006-01-02 15:04:05, Mon, Jan, .000, .999, MST). */
export function formatGoLayout(date: Date, layout: string, timeZone = 'UTC'): string {
  const p = parts(date, timeZone);
  const ms = String(date.getUTCMilliseconds()).padStart(3, '0');
  const month = Number(p.month);
  const monthName = new Intl.DateTimeFormat('en-US', { timeZone, month: 'short' }).format(date);
  const zoneName = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(date).find((x) => x.type === 'timeZoneName')?.value ?? timeZone;
  const trimmed = ms.replace(/0+$/, '');
  const tokens: [string, string][] = [
    ['2006', p.year!],
    ['.000', `.${ms}`],
    ['.999', trimmed ? `.${trimmed}` : ''],
    ['MST', zoneName],
    ['Jan', monthName],
    ['Mon', p.weekday!],
    ['01', p.month!],
    ['02', p.day!],
    ['15', p.hour!],
    ['04', p.minute!],
    ['05', p.second!],
    ['06', p.year!.slice(-2)],
    ['1', String(month)],
    ['2', String(Number(p.day))],
  ];
  let out = '';
  let i = 0;
  outer: while (i < layout.length) {
    for (const [tok, val] of tokens) {
      if (layout.startsWith(tok, i)) {
        out += val;
        i += tok.length;
        continue outer;
      }
    }
    out += layout[i];
    i++;
  }
  return out;
}

/** sha256 over the relative paths and contents of every file under `dir` (except .git). */
export async function inputDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name === '.git') continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(child);
      else if (e.isFile()) {
        hash.update(`${child}\0`);
        hash.update(await readFile(path.join(dir, child)));
        hash.update('\0');
      }
    }
  };
  await walk('');
  return hash.digest('hex');
}
