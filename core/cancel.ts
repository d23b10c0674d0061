// Cancel requests travel to runners over Redis pub/sub (and are recorded on the build as
// `cancelRequested`, so a runner that missed the message still sees it at its next stage).
import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';

export interface CancelMessage {
  buildId: string;
  reason: string;
}

export async function publishCancel(redis: Redis, keys: Keys, msg: CancelMessage): Promise<void> {
  await redis.publish(keys.cancelChannel(), JSON.stringify(msg));
}

/** Subscribes on a duplicate connection; returns a function that unsubscribes and closes it. */
export async function subscribeCancel(redis: Redis, keys: Keys, onCancel: (msg: CancelMessage) => void): Promise<() => Promise<void>> {
  const sub = redis.duplicate();
  await sub.subscribe(keys.cancelChannel());
  sub.on('message', (_channel: string, raw: string) => {
    try {
      onCancel(JSON.parse(raw) as CancelMessage);
    } catch {
      // a malformed message is ignored: only Slipway publishes here
    }
  });
  return async () => {
    await sub.quit().catch(() => undefined);
  };
}
