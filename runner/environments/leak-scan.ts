// The leak scan: a namespace carrying Slipway's managed-by label that no live (not deleted)
// environment record owns is an orphan (its template or profile changed, its record was lost, a
// teardown never ran). Once older than the grace period (a deploy creates the namespace before it
// writes the record) and not under a deploy lock, its helm releases are uninstalled and the
// namespace deleted, through teardownOrphanNamespace, and each is logged. Only namespaces of
// pipelines this installation knows (loaded, or with builds in its Redis) are judged: a cluster
// may hold another Slipway's environments, whose records live in another Redis.
import { EnvStore } from '../../core/env-store.ts';
import { namespaceLocked } from '../lock.ts';
import { DEV_LABEL, kubeClients, listSlipwayNamespaces, PIPELINE_LABEL } from './kube.ts';
import { toLabelValue } from './namespace.ts';
import { teardownOrphanNamespace, type TeardownDeps } from './teardown.ts';

export const DEFAULT_LEAK_GRACE_MS = 10 * 60_000;

export interface LeakScanOptions {
  /** How old an orphaned namespace must be before it is torn down; default 10 minutes. */
  graceMs?: number;
  /** A label selector ANDed with Slipway's managed-by label (to scope the scan, e.g. in tests). */
  labelSelector?: string;
  /** The pipelines loaded now (besides those with builds in Redis): whose namespaces are this installation's. */
  pipelines?: readonly string[];
}

/** The namespaces a live record owns. */
async function ownedNamespaces(store: EnvStore): Promise<Set<string>> {
  return new Set((await store.list()).filter((r) => r.status !== 'deleted').map((r) => r.namespace));
}

/** Tears down the orphaned Slipway namespaces; resolves with their names. */
export async function scanLeakedNamespaces(deps: TeardownDeps, opts: LeakScanOptions = {}): Promise<string[]> {
  const now = (deps.now ?? (() => new Date()))().getTime();
  const grace = opts.graceMs ?? DEFAULT_LEAK_GRACE_MS;
  const store = new EnvStore(deps.redis, deps.keys);
  const k = kubeClients(deps.kube);
  const owned = await ownedNamespaces(store);
  const ours = new Set([...(opts.pipelines ?? []), ...(await deps.redis.smembers(deps.keys.pipelines()))].map(toLabelValue));
  const gone: string[] = [];
  for (const ns of await listSlipwayNamespaces(k, opts.labelSelector)) {
    const namespace = ns.metadata?.name;
    if (!namespace || owned.has(namespace) || ns.status?.phase === 'Terminating') continue;
    // a slipway dev namespace never has a record: its dev session cleans it up
    if (ns.metadata?.labels?.[DEV_LABEL] === 'true') continue;
    const pipeline = ns.metadata?.labels?.[PIPELINE_LABEL];
    if (pipeline === undefined || !ours.has(pipeline)) continue;
    const created = ns.metadata?.creationTimestamp ? new Date(ns.metadata.creationTimestamp).getTime() : now;
    if (now - created < grace) continue;
    if (await namespaceLocked(deps.redis, deps.keys, namespace)) continue;
    const reason = 'no live environment record owns it';
    try {
      const torn = await teardownOrphanNamespace(deps, namespace, reason, async () => !(await ownedNamespaces(store)).has(namespace));
      if (!torn) continue;
      deps.log.warn({ namespace, reason, releases: torn.releases }, 'orphaned environment torn down');
      gone.push(namespace);
    } catch (err) {
      deps.log.warn({ namespace, err }, 'orphaned environment teardown failed');
    }
  }
  return gone;
}
