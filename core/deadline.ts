// A deadline on a promise, for answers that must not wait on Redis (webhooks, the spool's replay).

/** The promise's value, or undefined if it has not settled within `ms` (a rejection within it is thrown). */
export function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
