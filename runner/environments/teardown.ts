// Tearing an environment down: under the namespace's deploy lock (so it never races a deploy),
// helm uninstall of each release, then the namespace, but only when it carries Slipway's label.
// Idempotent: a deleted or missing environment is a no-op, a missing release is fine, and a
// failure leaves the record 'tearing-down' with the error for the next attempt.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Redis } from 'ioredis';
import { EnvStore } from '../../core/env-store.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Keys } from '../../core/keys.ts';
import type { Logger } from '../../core/logger.ts';
import type { EnvironmentRecord } from '../../core/records.ts';
import { uninstallRelease, type HelmOptions } from '../deployers/helm.ts';
import { exec as realExec, type Exec } from '../exec.ts';
import { withNamespaceLock, type LockOptions } from '../lock.ts';
import { deleteNamespace, helmReleases, isSlipwayNamespace, kubeClients, readNamespace, waitNamespaceGone, type KubeClients, type WaitOptions } from './kube.ts';

export interface TeardownDeps {
  redis: Redis;
  keys: Keys;
  kube: KubeConfig | KubeClients;
  log: Logger;
  exec?: Exec;
  helm?: HelmOptions;
  lock?: LockOptions;
  namespaceWait?: WaitOptions;
  now?: () => Date;
}

export interface TeardownRequest {
  pipeline: string;
  branch: string;
  reason: string;
  /** Only if still expired once the lock is held (a deploy that waited ahead of us renews it). */
  onlyIfExpired?: boolean;
}

/**
 * Tears down the environment of (pipeline, branch). Resolves with the final record (status
 * 'deleted'), or undefined when there is no such environment.
 */
export async function teardownEnvironment(deps: TeardownDeps, req: TeardownRequest): Promise<EnvironmentRecord | undefined> {
  const store = new EnvStore(deps.redis, deps.keys);
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ pipeline: req.pipeline, branch: req.branch });
  const first = await store.get(req.pipeline, req.branch);
  if (!first) {
    log.info({ reason: req.reason }, 'teardown: no environment');
    return undefined;
  }
  if (first.status === 'deleted') return first;

  const k = kubeClients(deps.kube);
  const namespace = first.namespace;
  return withNamespaceLock(
    deps.redis,
    deps.keys,
    namespace,
    async () => {
      // Read again under the lock: a deploy may have changed it while we waited.
      const current = await store.get(req.pipeline, req.branch);
      if (!current || current.status === 'deleted') return current;
      if (req.onlyIfExpired && (!current.expiresAt || Date.parse(current.expiresAt) > now().getTime())) {
        log.info({ namespace, expiresAt: current.expiresAt }, 'teardown skipped: environment renewed');
        return current;
      }
      const rec = await store.upsert(req.pipeline, req.branch, (cur) =>
        cur && cur.status !== 'deleted' ? { ...cur, status: 'tearing-down', updatedAt: now().toISOString() } : undefined,
      );
      if (!rec || rec.status === 'deleted') return rec;
      log.info({ namespace, releases: rec.releases, reason: req.reason }, 'teardown started');
      try {
        for (const release of rec.releases) {
          const removed = await uninstallRelease(deps.exec ?? realExec, deps.helm ?? {}, release, namespace);
          log.info({ namespace, release, removed }, removed ? 'release uninstalled' : 'release already gone');
        }
        const ns = await readNamespace(k, namespace);
        if (!ns) {
          log.info({ namespace }, 'namespace already gone');
        } else if (rec.ownsNamespace && isSlipwayNamespace(ns)) {
          await deleteNamespace(k, namespace);
          await waitNamespaceGone(k, namespace, deps.namespaceWait);
          log.info({ namespace }, 'namespace deleted');
        } else {
          log.info({ namespace }, 'namespace kept: not created by slipway');
        }
      } catch (err) {
        await store.upsert(req.pipeline, req.branch, (cur) => (cur ? { ...cur, error: errorMessage(err), updatedAt: now().toISOString() } : undefined));
        log.warn({ namespace, err }, 'teardown failed');
        throw err;
      }
      const at = now().toISOString();
      const done = await store.upsert(req.pipeline, req.branch, (cur) => {
        if (!cur) return undefined;
        const next: EnvironmentRecord = { ...cur, status: 'deleted', deletedAt: at, deletedReason: req.reason, updatedAt: at, urls: [] };
        delete next.expiresAt;
        delete next.error;
        return next;
      });
      log.info({ namespace, reason: req.reason }, 'environment torn down');
      return done;
    },
    {
      ...deps.lock,
      onWait: () => {
        log.info({ namespace }, 'teardown waiting for the deploy lock');
        deps.lock?.onWait?.();
      },
    },
  );
}

/**
 * Tears down a Slipway namespace no record owns (the leak scan): under its deploy lock (not
 * waiting: a deploy holding it is making it live), and only if `stillOrphan()` says so once the
 * lock is held, helm uninstall of every release recorded there, then the namespace when it
 * carries Slipway's label. Resolves with the releases removed, or undefined when left alone.
 */
export async function teardownOrphanNamespace(
  deps: TeardownDeps,
  namespace: string,
  reason: string,
  stillOrphan: () => Promise<boolean>,
): Promise<{ releases: string[] } | undefined> {
  const k = kubeClients(deps.kube);
  const log = deps.log.child({ namespace });
  return withNamespaceLock(
    deps.redis,
    deps.keys,
    namespace,
    async () => {
      const ns = await readNamespace(k, namespace);
      if (!ns || !isSlipwayNamespace(ns) || !(await stillOrphan())) return undefined;
      const releases = await helmReleases(k, namespace);
      log.info({ releases, reason }, 'orphan teardown started');
      for (const release of releases) {
        const removed = await uninstallRelease(deps.exec ?? realExec, deps.helm ?? {}, release, namespace);
        log.info({ release, removed }, removed ? 'release uninstalled' : 'release already gone');
      }
      await deleteNamespace(k, namespace);
      await waitNamespaceGone(k, namespace, deps.namespaceWait);
      return { releases };
    },
    { ...deps.lock, waitMs: 0 },
  );
}
