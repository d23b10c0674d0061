// Waiting for something a test expects to happen.

/** Polls until `check` returns a value (not a timed assertion: the bound is only a safety net). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, limitMs = 20_000): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
