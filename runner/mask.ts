// Secret masking: each known value, in every form a step or a tool might print it, is replaced by
// `***`: raw; base64 and base64url (padded or not, and inside a longer base64 text, e.g. the
// `Basic` header of `user:secret`); URL-encoded (encodeURIComponent, form encoding, lower-case
// escapes); JSON-escaped (`\"`, `\\`, `\/`, `\uXXXX`); hex. Besides, the user info of any URL
// (`http://ci:PASSWORD@host`) is masked whether or not its password is a known secret. Applied to
// whole lines, so callers buffer partial output until a newline before masking (a secret split
// across chunks is still caught).

export const MASK = '***';

/** Values shorter than this are not masked: masking "a" or "1" would shred every line. */
export const MIN_SECRET_LENGTH = 4;

/**
 * A base64 piece shorter than this is not looked for inside other base64 text: a few characters
 * occur by chance in digests and keys. Secrets of about 7 characters and more have such a piece.
 */
const MIN_BASE64_CORE = 8;

function jsonForms(secret: string): string[] {
  const std = JSON.stringify(secret).slice(1, -1);
  const u = (c: string, upper: boolean) => {
    const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  };
  // non-ASCII as \uXXXX (Python's json.dumps, Go's encoder for <, >, &), and every character so
  const ascii = (upper: boolean) => std.replace(/[^\x20-\x7e]|[<>&]/g, (c) => u(c, upper));
  const every = (upper: boolean) => secret.split('').map((c) => u(c, upper)).join('');
  const forms = [std, ascii(false), ascii(true), every(false), every(true)];
  return [...forms, ...forms.map((f) => f.replace(/\//g, '\\/'))];
}

function urlForms(secret: string): string[] {
  const component = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const lower = (s: string) => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  return [component, component.replace(/%20/g, '+'), form, lower(component), lower(form), encodeURI(secret)];
}

/** Every form of `secret` that is looked for as it stands. */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const b64 = bytes.toString('base64');
  const hex = bytes.toString('hex');
  const forms = new Set<string>([
    secret,
    b64,
    b64.replace(/=+$/, ''),
    bytes.toString('base64url'),
    hex,
    hex.toUpperCase(),
    ...urlForms(secret),
    ...jsonForms(secret),
  ]);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/**
 * The characters of the secret's base64 (and base64url) that do not depend on what comes before or
 * after it, for each of the three alignments it can have inside a longer encoded text (`user:secret`
 * in a basic-auth header, a config file in base64). A text holding one of them holds the secret.
 */
export function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const cores = new Set<string>();
  for (let offset = 0; offset < 3; offset++) {
    const buf = Buffer.concat([Buffer.alloc(offset), bytes]);
    const start = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * buf.length) / 6);
    for (const enc of [buf.toString('base64'), buf.toString('base64url')]) {
      const core = enc.slice(start, end);
      if (core.length >= MIN_BASE64_CORE) cores.add(core);
    }
  }
  return [...cores];
}

export type Masker = (text: string) => string;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// scheme://user:password@ or scheme://token@ (a bare `git@` user names no secret)
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@'"<>]+)@/gi;
function maskUserinfo(text: string): string {
  if (!text.includes('@')) return text;
  return text.replace(URL_USERINFO, (all, scheme: string, info: string) => {
    const colon = info.indexOf(':');
    if (colon === -1) return info === 'git' ? all : `${scheme}${MASK}@`;
    return `${scheme}${info.slice(0, colon)}:${MASK}@`;
  });
}

const isBase64Char = (c: number) =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f || c === 0x5f || c === 0x2d;

/** Replaces each whole base64 run (with its padding) that holds one of the cores. Linear in the text. */
function maskBase64Runs(text: string, pattern: RegExp): string {
  pattern.lastIndex = 0;
  const ranges: [number, number][] = [];
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    let from = m.index;
    let to = m.index + m[0].length;
    const last = ranges.at(-1);
    if (last && from < last[1]) continue; // inside the run just masked
    while (from > 0 && isBase64Char(text.charCodeAt(from - 1))) from--;
    while (to < text.length && isBase64Char(text.charCodeAt(to))) to++;
    while (to < text.length && text.charCodeAt(to) === 0x3d /* = */) to++;
    ranges.push([from, to]);
    pattern.lastIndex = to;
  }
  if (ranges.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [from, to] of ranges) {
    out += text.slice(at, from) + MASK;
    at = to;
  }
  return out + text.slice(at);
}

/** A function that masks every form of every secret in a string, and URL credentials. Longest forms first. */
export function createMasker(secrets: readonly string[] = []): Masker {
  const values = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))];
  const forms = [...new Set(values.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  const cores = [...new Set(values.flatMap(base64Cores))].sort((a, b) => b.length - a.length);
  const exact = forms.length ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : undefined;
  const inBase64 = cores.length ? new RegExp(cores.map(escapeRegExp).join('|'), 'g') : undefined;
  return (text) => {
    // whole base64 runs first: the exact pass would leave the encoded user of `user:secret` behind
    let out = inBase64 ? maskBase64Runs(text, inBase64) : text;
    if (exact) out = out.replace(exact, MASK);
    return maskUserinfo(out);
  };
}

/**
 * The secrets of one build: every value known to it, masked in every line it writes. A stage
 * that learns a secret (a test step's secretEnv) adds it here, before anything can print it.
 */
export interface Secrets {
  /** Masks `value` from now on (values shorter than MIN_SECRET_LENGTH are ignored). */
  add(value: string): void;
  mask(text: string): string;
  /** Every value added so far, for the exec door (which masks the command and its output). */
  values(): readonly string[];
}

export function createSecrets(initial: readonly string[] = []): Secrets {
  const known = new Set<string>();
  let masker: Masker = (text) => text;
  const add = (value: string) => {
    if (value.length < MIN_SECRET_LENGTH || known.has(value)) return;
    known.add(value);
    masker = createMasker([...known]);
  };
  for (const v of initial) add(v);
  return {
    add,
    mask: (text) => masker(text),
    values: () => [...known],
  };
}

/**
 * Splits a byte stream into masked lines. `push` takes chunks and emits complete lines;
 * `flush` emits what is left at the end. A line longer than `maxLine` is emitted in pieces
 * (a secret straddling such a cut can escape, which is why the cap is large).
 */
export function createLineSplitter(mask: Masker, emit: (line: string) => void, maxLine = 1 << 20): { push(chunk: string): void; flush(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl !== -1) {
        emit(mask(pending.slice(0, nl).replace(/\r$/, '')));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
      while (pending.length > maxLine) {
        emit(mask(pending.slice(0, maxLine)));
        pending = pending.slice(maxLine);
      }
    },
    flush() {
      if (pending.length) emit(mask(pending.replace(/\r$/, '')));
      pending = '';
    },
  };
}
