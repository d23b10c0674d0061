// Build and environment changes over Redis pub/sub: the stores publish each record they write, and
// the server's GET /api/events streams them to every open dashboard page. A notification, not a
// log: a page that was not listening reads the API when it (re)connects.
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import type { BuildRecord, EnvironmentRecord } from './records.ts';

export type ChangeEvent = { kind: 'build'; build: BuildRecord } | { kind: 'environment'; environment: EnvironmentRecord };

/** Publishes a record already serialised as JSON (the stores have it at hand); never throws. */
export function publishChange(redis: Redis, keys: Keys, kind: ChangeEvent['kind'], recordJson: string): void {
  redis.publish(keys.events(), `{"kind":"${kind}","${kind}":${recordJson}}`).catch(() => undefined);
}

/** Subscribes on a duplicate connection; returns a function that unsubscribes and closes it. */
export async function subscribeChanges(redis: Redis, keys: Keys, onChange: (event: ChangeEvent) => void): Promise<() => Promise<void>> {
  const sub = redis.duplicate();
  sub.on('error', () => undefined); // the main connection reports Redis trouble already
  sub.on('message', (_channel: string, raw: string) => {
    let event: ChangeEvent;
    try {
      event = JSON.parse(raw) as ChangeEvent;
    } catch {
      return; // only Slipway publishes here
    }
    onChange(event);
  });
  await sub.subscribe(keys.events());
  return async () => {
    await sub.quit().catch(() => undefined);
  };
}
