// The environment manager the deploy stage calls around helm: the namespace is computed and
// created (with Slipway's labels) before the first deploy, the record follows every deploy.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Redis } from 'ioredis';
import { EnvStore } from '../../core/env-store.ts';
import type { Keys } from '../../core/keys.ts';
import type { Logger } from '../../core/logger.ts';
import type { BuildRecord, EnvironmentRecord } from '../../core/records.ts';
import {
  ensureNamespace,
  helmReleaseStatus,
  kubeClients,
  kubectlStateStore,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PIPELINE_LABEL,
  releaseUrls,
  type KubeClients,
  type WaitOptions,
  workloadReader,
} from './kube.ts';
import { ensureRunnerAccess, runnerAccess, type RunnerAccess } from './access.ts';
import { environmentId, environmentNamespace, toLabelValue } from './namespace.ts';
import { ensurePullSecret, readPullSecret } from './pull-secret.ts';
import { expiryFrom } from './ttl.ts';
import type { EnvironmentManager } from './types.ts';

export interface EnvironmentManagerOptions {
  redis: Redis;
  keys: Keys;
  kube: KubeConfig | KubeClients;
  log: Logger;
  now?: () => Date;
  /** How long prepare waits for a namespace still terminating from an earlier teardown. */
  namespaceWait?: WaitOptions;
  /** Where environment.imagePullSecret's env names are looked up (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * The runner's ServiceAccount to bind in each namespace Slipway owns (default: from
   * SLIPWAY_RUNNER_SERVICE_ACCOUNT in `env`); null binds nothing.
   */
  access?: RunnerAccess | null;
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}

/** The number of the build last deployed to `rec` (older records name only its id). */
function deployedNumber(rec: EnvironmentRecord): number | undefined {
  if (rec.lastBuildNumber !== undefined) return rec.lastBuildNumber;
  const m = rec.lastBuild ? /-(\d+)$/.exec(rec.lastBuild) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * The newer build deployed to `rec`, if this one must not go over it: an environment goes back
 * to an older build only when a person asks (a re-run or a manual trigger).
 */
export function newerDeploy(rec: EnvironmentRecord | undefined, build: BuildRecord): string | undefined {
  if (!rec || rec.status === 'deleted' || !rec.lastBuild) return undefined;
  if (build.trigger.type === 'rerun' || build.trigger.type === 'manual') return undefined;
  const deployed = deployedNumber(rec);
  return deployed !== undefined && deployed > build.number ? rec.lastBuild : undefined;
}

export function createEnvironmentManager(opts: EnvironmentManagerOptions): EnvironmentManager {
  const store = new EnvStore(opts.redis, opts.keys);
  const k = kubeClients(opts.kube);
  const now = opts.now ?? (() => new Date());
  const log = opts.log;
  const access = opts.access === undefined ? runnerAccess(opts.env ?? process.env) : opts.access ?? undefined;

  return {
    // the API's discovery document: the client's first request (its connection and set-up, ~20–40 ms) happens here
    async warm() {
      await k.core.getAPIResources();
    },

    async prepare(input) {
      const pipeline = input.pipeline.metadata.name;
      const namespace = environmentNamespace(input.pipeline, input.branch);
      const id = environmentId(pipeline, namespace);
      const newer = newerDeploy(await store.get(pipeline, input.branch), input.build);
      if (newer) return { id, namespace, supersededBy: newer };
      // read before anything is created: a missing or broken secret fails the deploy with nothing half-made
      const spec = input.pipeline.environment.imagePullSecret;
      const pullSecret = spec ? await readPullSecret(spec, opts.env ?? process.env) : undefined;
      const ns = await ensureNamespace(k, namespace, { pipeline, environment: toLabelValue(id), branch: input.branch }, opts.namespaceWait);
      if (ns.created) log.info({ pipeline, branch: input.branch, namespace }, 'environment namespace created');
      else if (!ns.owned) log.info({ pipeline, branch: input.branch, namespace }, 'using existing namespace not owned by slipway');
      // before anything goes into the namespace: with least-privilege RBAC this is what lets the runner in
      if (access && ns.owned) await ensureRunnerAccess(k, namespace, access, opts.namespaceWait);
      if (pullSecret && ns.owned) {
        await ensurePullSecret(k, namespace, pullSecret, { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PIPELINE_LABEL]: pipeline });
        log.info({ pipeline, namespace, secret: pullSecret.name }, 'image pull secret in place');
      }
      const at = now();
      const iso = at.toISOString();
      // The release names (the plan's, from its deployers) go in before helm runs, so a teardown
      // after a failed first deploy still uninstalls whatever helm left behind.
      const { releases } = input;
      await store.upsert(pipeline, input.branch, (cur) => {
        const fresh = !cur || cur.status === 'deleted';
        const next: EnvironmentRecord = {
          ...(fresh ? {} : cur),
          id,
          pipeline,
          branch: input.branch,
          namespace,
          ownsNamespace: ns.owned,
          releases: fresh || cur.namespace !== namespace ? releases : union(cur.releases, releases),
          createdAt: fresh ? iso : cur.createdAt,
          updatedAt: iso,
          urls: fresh ? [] : cur.urls,
          status: fresh ? 'creating' : 'deploying',
          expiresAt: expiryFrom(at, input.pipeline.environment.ttl),
        };
        if (input.profile) next.profile = input.profile;
        else delete next.profile;
        delete next.deletedAt;
        delete next.deletedReason;
        delete next.error;
        return next;
      });
      return { id, namespace };
    },

    async recordDeploy(input) {
      const pipeline = input.pipeline.metadata.name;
      let urls: string[] = [];
      try {
        urls = await releaseUrls(k, input.namespace, input.releases);
      } catch (err) {
        // The deploy succeeded; missing URLs must not fail it.
        log.warn({ pipeline, namespace: input.namespace, err }, 'could not read ingress hosts');
      }
      const at = now();
      const rec = await store.upsert(pipeline, input.branch, (cur) => {
        const base: EnvironmentRecord = cur ?? {
          id: environmentId(pipeline, input.namespace),
          pipeline,
          branch: input.branch,
          namespace: input.namespace,
          ownsNamespace: false,
          releases: [],
          createdAt: at.toISOString(),
          updatedAt: at.toISOString(),
          urls: [],
          status: 'ready',
        };
        const next: EnvironmentRecord = {
          ...base,
          namespace: input.namespace,
          releases: union(base.releases, input.releases),
          lastBuild: input.build.id,
          lastBuildNumber: input.build.number,
          lastSha: input.build.sha,
          updatedAt: at.toISOString(),
          expiresAt: expiryFrom(at, input.pipeline.environment.ttl),
          urls,
          status: 'ready',
        };
        if (next.expiresAt === undefined) delete next.expiresAt;
        delete next.error;
        return next;
      });
      log.info({ pipeline, branch: input.branch, namespace: input.namespace, build: input.build.id, urls }, 'environment deployed');
      return rec!;
    },

    async recordFailure(input) {
      const pipeline = input.pipeline.metadata.name;
      await store.upsert(pipeline, input.branch, (cur) => {
        // A teardown that got in first stays the last word.
        if (!cur || cur.status === 'deleted') return undefined;
        return { ...cur, status: 'failed', error: input.error, updatedAt: now().toISOString() };
      });
      log.warn({ pipeline, branch: input.branch, namespace: input.namespace, build: input.build.id }, 'environment deploy failed');
    },

    releaseStatus: (namespace, release) => helmReleaseStatus(k, namespace, release),
    kubectlState: kubectlStateStore(k),
    workloads: workloadReader(k),
  };
}
