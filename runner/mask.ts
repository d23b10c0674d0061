// Secret masking: each known value plus its base64 (standard and URL-safe, padded or not) and
// URL-encoded forms is replaced by `***`. Applied to whole lines, so callers buffer partial
// output until a newline before masking (a secret split across chunks is still caught).

export const MASK = '***';

/** Values shorter than this are not masked: masking "a" or "1" would shred every line. */
export const MIN_SECRET_LENGTH = 4;

/** Every form of `secret` that a step might print. */
export function secretForms(secret: string): string[] {
  const b64 = Buffer.from(secret, 'utf8').toString('base64');
  const b64url = Buffer.from(secret, 'utf8').toString('base64url');
  const forms = new Set<string>([
    secret,
    b64,
    b64.replace(/=+$/, ''),
    b64url,
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
  ]);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

export type Masker = (text: string) => string;

/** A function that masks every form of every secret in a string. Longest forms first. */
export function createMasker(secrets: readonly string[] = []): Masker {
  const forms = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH).flatMap(secretForms))].sort(
    (a, b) => b.length - a.length,
  );
  if (forms.length === 0) return (text) => text;
  const pattern = new RegExp(forms.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (text) => text.replace(pattern, MASK);
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
