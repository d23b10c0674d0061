// BullMQ's own Lua scripts that Slipway runs as functions inside its own: addStandardJob in the
// script that creates a queued build (see JobTarget in core/queue.ts), removeJob in the one that
// cancels it (core/trigger.ts). Kept apart from queue.ts so that loading it does not load bullmq.
import { createRequire } from 'node:module';

/** addStandardJob's keys, in its order (after the queue's key prefix). */
export const ADD_STANDARD_JOB_KEYS = ['wait', 'paused', 'meta', 'id', 'completed', 'delayed', 'active', 'events', 'marker'] as const;

const loaded = new Map<string, string>();

/**
 * One of BullMQ's own Lua scripts (includes resolved), from the installed bullmq, whose dist ships
 * every script as a module named after the script and its key count. The version is pinned in
 * package.json; `mark` is a line of the script Slipway relies on, so that another version fails
 * loudly here. test/integration/core/queued-build.test.ts holds what Slipway writes with them
 * against what `Queue.add` and `Queue.remove` do.
 */
function bullmqScript(name: string, keys: number, mark: string): string {
  const found = loaded.get(name);
  if (found !== undefined) return found;
  const require = createRequire(import.meta.url);
  let script: { content?: string; keys?: number } | undefined;
  try {
    script = (require(`bullmq/dist/cjs/scripts/${name}-${keys}.js`) as Record<string, typeof script>)[name];
  } catch {
    script = undefined;
  }
  if (!script?.content || script.keys !== keys || !script.content.includes(mark)) {
    throw new Error(`the installed bullmq has no ${name} script of the shape Slipway runs (package.json pins the version it was written for)`);
  }
  loaded.set(name, script.content);
  return script.content;
}

/** addStandardJob: KEYS as ADD_STANDARD_JOB_KEYS; ARGV packed args, data JSON, packed options. */
export function bullmqAddStandardJob(): string {
  return bullmqScript('addStandardJob', ADD_STANDARD_JOB_KEYS.length, 'cmsgpack.unpack(ARGV[1])');
}

/** removeJob: KEYS job key, repeat key; ARGV job id, remove children ('1'), queue key prefix. 1 removed, 0 locked. */
export function bullmqRemoveJob(): string {
  return bullmqScript('removeJob', 2, 'if not isLocked(prefix, jobId, shouldRemoveChildren) then');
}
