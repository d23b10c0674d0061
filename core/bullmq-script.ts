// BullMQ's own addStandardJob Lua script, which Slipway runs inside its build-creating script (see
// JobTarget in core/queue.ts). Kept apart from queue.ts so that loading it does not load bullmq.
import { createRequire } from 'node:module';

/** addStandardJob's keys, in its order (after the queue's key prefix). */
export const ADD_STANDARD_JOB_KEYS = ['wait', 'paused', 'meta', 'id', 'completed', 'delayed', 'active', 'events', 'marker'] as const;

let addStandardJob: string | undefined;

/**
 * BullMQ's own addStandardJob Lua (includes resolved), from the installed bullmq, whose dist ships
 * every script as a module. The version is pinned in package.json; test/integration/server/
 * job-script.test.ts checks the job it writes against one made by `queue.add`.
 */
export function bullmqAddStandardJob(): string {
  if (addStandardJob !== undefined) return addStandardJob;
  const require = createRequire(import.meta.url);
  let script: { content?: string; keys?: number } | undefined;
  try {
    // The file is named after the script's key count.
    script = (require(`bullmq/dist/cjs/scripts/addStandardJob-${ADD_STANDARD_JOB_KEYS.length}.js`) as { addStandardJob?: typeof script }).addStandardJob;
  } catch {
    script = undefined;
  }
  if (!script?.content || script.keys !== ADD_STANDARD_JOB_KEYS.length || !script.content.includes('cmsgpack.unpack(ARGV[1])')) {
    throw new Error('the installed bullmq has no addStandardJob script of the shape Slipway writes jobs with (package.json pins the version it was written for)');
  }
  addStandardJob = script.content;
  return addStandardJob;
}
