// A webhook delivery is claimed here, and only here: the delivery key (SET NX, kept 3 days) holds
// the build numbers the delivery was given, so a redelivery, a replay from the spool or a second
// request racing the first resumes with the same numbers instead of making new builds (the records
// are written only if absent; see core/accept-delivery.ts). In the same step each build's push is
// claimed too, (pipeline, ref, before, after) for a window: a captured push re-sent under a fresh
// delivery id is a duplicate push, and gets no number.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { evalScript, luaScript } from './build-store.ts';
import type { Keys } from './keys.ts';

/** How long a delivery id is remembered. */
export const DELIVERY_SECONDS = 3 * 24 * 3600;
/** How long a push is remembered by default (SLIPWAY_DUPLICATE_PUSH_SECONDS). */
export const DUPLICATE_PUSH_SECONDS = 3600;

// KEYS[1]: the delivery key; then per build its counter and its push key. ARGV: delivery seconds,
// push seconds (0: pushes are not remembered). Returns { 1 (claimed now) or 0 (held already), the
// numbers as 'n,n,...' with 0 for a duplicate push }. A key held in an older format ('1') reads
// as a delivery without builds.
const CLAIM = luaScript(`
local held = redis.call('GET', KEYS[1])
if held then return { 0, held } end
local numbers = {}
for i = 2, #KEYS, 2 do
  local n = 0
  if ARGV[2] == '0' or redis.call('EXISTS', KEYS[i + 1]) == 0 then
    n = redis.call('INCR', KEYS[i])
    if ARGV[2] ~= '0' then redis.call('SET', KEYS[i + 1], n, 'EX', ARGV[2]) end
  end
  numbers[#numbers + 1] = n
end
local value = table.concat(numbers, ',')
redis.call('SET', KEYS[1], value, 'EX', ARGV[1])
return { 1, value }`);

/** What identifies a push for replay detection. */
export interface PushIdentity {
  pipeline: string;
  ref: string;
  before: string;
  after: string;
}

export interface Claim {
  /** False when the delivery had been claimed before (a redelivery, a replay, a race). */
  fresh: boolean;
  /** Per build asked for, its number, or undefined for a duplicate push. */
  numbers: (number | undefined)[];
}

export interface DeliveryDeps {
  redis: Redis;
  keys: Keys;
  /** How long a push is remembered; 0 turns replay detection off. */
  duplicatePushSeconds?: number;
}

function pushDigest(p: PushIdentity): string {
  return createHash('sha256').update(`${p.ref}\u0000${p.before}\u0000${p.after}`).digest('hex').slice(0, 32);
}

/** Claims the delivery and numbers its builds (one per push given, in order), in one step. */
export async function claimDelivery(deps: DeliveryDeps, forge: string, deliveryId: string, pushes: PushIdentity[]): Promise<Claim> {
  const keys = [deps.keys.delivery(forge, deliveryId)];
  for (const p of pushes) keys.push(deps.keys.counter(p.pipeline), deps.keys.push(p.pipeline, pushDigest(p)));
  const [fresh, value] = (await evalScript(deps.redis, CLAIM, keys, [String(DELIVERY_SECONDS), String(deps.duplicatePushSeconds ?? DUPLICATE_PUSH_SECONDS)])) as [number, string];
  const held = /^[0-9]+(,[0-9]+)*$/.test(value) ? value.split(',').map(Number) : [];
  // Held numbers for another set of builds (the pipelines changed in between): nothing to resume.
  const numbers = held.length === pushes.length ? held.map((n) => (n > 0 ? n : undefined)) : pushes.map(() => undefined);
  return { fresh: fresh === 1, numbers };
}

/** Releases a delivery whose work could not be queued, so that the forge's redelivery tries again. */
export async function releaseDelivery(deps: DeliveryDeps, forge: string, deliveryId: string): Promise<void> {
  await deps.redis.del(deps.keys.delivery(forge, deliveryId));
}
