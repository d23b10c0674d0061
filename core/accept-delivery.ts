// Doing what a webhook delivery asks, once: claim it (core/delivery.ts), write the records of its
// builds that are not there yet, add their jobs; or queue its teardowns. Idempotent per delivery, so
// the webhook intake, a forge's redelivery and a replay from the spool (core/spool.ts) can all run
// it: whichever comes first does the work, the others find a duplicate delivery.
import { newRecord, type NewBuild } from './build-store.ts';
import { claimDelivery, releaseDelivery, type PushIdentity } from './delivery.ts';
import { queueTeardown, type TeardownJob } from './queue.ts';
import type { BuildRecord } from './records.ts';
import { addJobs, type TriggerDeps } from './trigger.ts';

/** A verified, planned delivery: what the intake runs and what the spool keeps (JSON). */
export interface PlannedDelivery {
  forge: string;
  deliveryId: string;
  /** Builds to queue (a push's), each with its branch or tag, before and sha. */
  builds: NewBuild[];
  /** Teardowns to queue (a deleted branch's). */
  teardowns: TeardownJob[];
}

export interface AcceptedDelivery {
  builds: { build: BuildRecord; firstOnBranch: boolean }[];
  teardowns: { pipeline: string; branch: string }[];
  /** Pipelines whose build was skipped: the same push was seen within the window. */
  duplicatePushes: string[];
  /** Set when nothing was done: the delivery was seen before, or every push of it was. */
  duplicate?: 'delivery' | 'push';
}

export interface AcceptDeps extends TriggerDeps {
  /** How long a push is remembered (replays ignored); 0 off. Default core/delivery.ts's. */
  duplicatePushSeconds?: number;
}

function pushOf(b: NewBuild): PushIdentity {
  return { pipeline: b.pipeline, ref: b.branch !== undefined ? `refs/heads/${b.branch}` : `refs/tags/${b.tag ?? ''}`, before: b.before ?? '', after: b.sha };
}

export async function acceptDelivery(deps: AcceptDeps, planned: PlannedDelivery): Promise<AcceptedDelivery> {
  const claimDeps = { redis: deps.redis, keys: deps.keys, ...(deps.duplicatePushSeconds !== undefined ? { duplicatePushSeconds: deps.duplicatePushSeconds } : {}) };
  const claim = await claimDelivery(claimDeps, planned.forge, planned.deliveryId, planned.builds.map(pushOf));
  const out: AcceptedDelivery = { builds: [], teardowns: [], duplicatePushes: [] };
  if (planned.teardowns.length > 0) {
    if (!claim.fresh) return { ...out, duplicate: 'delivery' };
    try {
      for (const job of planned.teardowns) {
        await queueTeardown(deps.queues.teardown, job);
        out.teardowns.push({ pipeline: job.pipeline, branch: job.branch });
        deps.log?.info({ pipeline: job.pipeline, branch: job.branch, delivery: planned.deliveryId }, 'teardown queued for deleted branch');
      }
    } catch (err) {
      // A teardown queued twice is harmless; one never queued is not: let the redelivery try again.
      await releaseDelivery(claimDeps, planned.forge, planned.deliveryId).catch(() => undefined);
      throw err;
    }
  }
  const now = Date.now();
  const inserted = await Promise.all(
    planned.builds.map(async (input, i) => {
      const number = claim.numbers[i];
      if (number === undefined) return undefined;
      const record = newRecord({ ...input, status: 'queued' }, number, now);
      const { created, firstOnBranch } = await deps.builds.insert(record);
      return created ? { build: record, firstOnBranch } : undefined;
    }),
  );
  out.builds = inserted.filter((b) => b !== undefined);
  if (claim.fresh) out.duplicatePushes = planned.builds.filter((_b, i) => claim.numbers[i] === undefined).map((b) => b.pipeline);
  if (planned.builds.length > 0 && out.builds.length === 0) return { ...out, duplicate: claim.fresh ? 'push' : 'delivery' };
  // Should an add fail, its record is taken back; the delivery keeps its numbers for the redelivery.
  await addJobs(deps, out.builds.map((b) => b.build));
  return out;
}
