// The Kubernetes calls environments need: namespaces with Slipway's ownership labels, the
// Ingress hosts of a namespace's releases, the state helm recorded for a release, the last good
// kubectl deploy's Secret (deployers/kubectl-state.ts), and the pods and Jobs a status check
// looks at (deployers/status-check.ts), through
// @kubernetes/client-node (loaded on first use: `slipway run` loads it when the deploy starts).
import type { BatchV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, RbacAuthorizationV1Api, V1Job, V1Namespace, V1Pod } from '@kubernetes/client-node';
import { UnavailableError } from '../../core/errors.ts';
import { fromStateData, stateSecretName, stateSecretObject, type KubectlStateStore } from '../deployers/kubectl-state.ts';
import type { JobLike, PodLike, WorkloadReader } from '../deployers/status-check.ts';
import { ingressUrls } from './ingress-urls.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'slipway';
export const PIPELINE_LABEL = 'slipway.dev/pipeline';
export const ENVIRONMENT_LABEL = 'slipway.dev/environment';
export const BRANCH_ANNOTATION = 'slipway.dev/branch';
/** On a `slipway dev` namespace: it has no environment record, and the leak scan leaves it alone. */
export const DEV_LABEL = 'slipway.dev/dev';

/** The calls made, by the names and shapes @kubernetes/client-node gives them. */
export interface KubeClients {
  core: Pick<
    CoreV1Api,
    | 'getAPIResources'
    | 'readNamespace'
    | 'listNamespace'
    | 'createNamespace'
    | 'deleteNamespace'
    | 'listNamespacedSecret'
    | 'listNamespacedPod'
    | 'readNamespacedSecret'
    | 'createNamespacedSecret'
    | 'replaceNamespacedSecret'
    | 'readNamespacedServiceAccount'
    | 'createNamespacedServiceAccount'
    | 'replaceNamespacedServiceAccount'
  >;
  networking: Pick<NetworkingV1Api, 'listNamespacedIngress'>;
  batch: Pick<BatchV1Api, 'listNamespacedJob'>;
  rbac: Pick<RbacAuthorizationV1Api, 'createNamespacedRoleBinding'>;
}

/**
 * Clients for a client-node KubeConfig (whoever made it has loaded client-node already, so the
 * import below is instant), or the clients given.
 */
export function kubeClients(kube: KubeConfig | KubeClients): KubeClients {
  if ('core' in kube && 'networking' in kube) return kube;
  let apis: Promise<{ core: CoreV1Api; networking: NetworkingV1Api; batch: BatchV1Api; rbac: RbacAuthorizationV1Api }> | undefined;
  const api = () =>
    (apis ??= import('./kube-api.ts').then((m) => ({
      core: kube.makeApiClient(m.CoreV1Api),
      networking: kube.makeApiClient(m.NetworkingV1Api),
      batch: kube.makeApiClient(m.BatchV1Api),
      rbac: kube.makeApiClient(m.RbacAuthorizationV1Api),
    })));
  return {
    core: {
      getAPIResources: async (options) => (await api()).core.getAPIResources(options),
      readNamespace: async (param, options) => (await api()).core.readNamespace(param, options),
      listNamespace: async (param, options) => (await api()).core.listNamespace(param, options),
      createNamespace: async (param, options) => (await api()).core.createNamespace(param, options),
      deleteNamespace: async (param, options) => (await api()).core.deleteNamespace(param, options),
      listNamespacedSecret: async (param, options) => (await api()).core.listNamespacedSecret(param, options),
      listNamespacedPod: async (param, options) => (await api()).core.listNamespacedPod(param, options),
      readNamespacedSecret: async (param, options) => (await api()).core.readNamespacedSecret(param, options),
      createNamespacedSecret: async (param, options) => (await api()).core.createNamespacedSecret(param, options),
      replaceNamespacedSecret: async (param, options) => (await api()).core.replaceNamespacedSecret(param, options),
      readNamespacedServiceAccount: async (param, options) => (await api()).core.readNamespacedServiceAccount(param, options),
      createNamespacedServiceAccount: async (param, options) => (await api()).core.createNamespacedServiceAccount(param, options),
      replaceNamespacedServiceAccount: async (param, options) => (await api()).core.replaceNamespacedServiceAccount(param, options),
    },
    networking: {
      listNamespacedIngress: async (param, options) => (await api()).networking.listNamespacedIngress(param, options),
    },
    batch: {
      listNamespacedJob: async (param, options) => (await api()).batch.listNamespacedJob(param, options),
    },
    rbac: {
      createNamespacedRoleBinding: async (param, options) => (await api()).rbac.createNamespacedRoleBinding(param, options),
    },
  };
}

function statusCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => statusCode(err) === 404;
export const isConflict = (err: unknown): boolean => statusCode(err) === 409;
export const isForbidden = (err: unknown): boolean => statusCode(err) === 403;

export async function readNamespace(k: KubeClients, name: string): Promise<V1Namespace | undefined> {
  try {
    return await k.core.readNamespace({ name });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** True when the namespace carries Slipway's managed-by label (and so Slipway may delete it). */
export function isSlipwayNamespace(ns: V1Namespace | undefined): boolean {
  return ns?.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

export interface WaitOptions {
  timeoutMs?: number;
  pollMs?: number;
}

/** Resolves once the namespace no longer exists; a transient error after `timeoutMs`. */
export async function waitNamespaceGone(k: KubeClients, name: string, opts: WaitOptions = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);
  for (;;) {
    if (!(await readNamespace(k, name))) return;
    if (Date.now() > deadline) throw new UnavailableError(`namespace ${name} is still terminating`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
}

export interface EnsuredNamespace {
  /** True when the namespace carries Slipway's label for this pipeline. */
  owned: boolean;
  created: boolean;
}

/**
 * Makes sure the namespace exists: creates it with Slipway's labels when missing, waits out one
 * that is still terminating from an earlier teardown, and uses one that exists as it is.
 */
export async function ensureNamespace(
  k: KubeClients,
  name: string,
  labels: { pipeline: string; environment: string; branch: string; dev?: boolean },
  opts: WaitOptions = {},
): Promise<EnsuredNamespace> {
  for (let attempt = 0; ; attempt++) {
    const existing = await readNamespace(k, name);
    if (existing?.status?.phase === 'Terminating') {
      await waitNamespaceGone(k, name, opts);
      continue;
    }
    if (existing) {
      const owned = isSlipwayNamespace(existing) && existing.metadata?.labels?.[PIPELINE_LABEL] === labels.pipeline;
      return { owned, created: false };
    }
    try {
      await k.core.createNamespace({
        body: {
          metadata: {
            name,
            labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PIPELINE_LABEL]: labels.pipeline, [ENVIRONMENT_LABEL]: labels.environment, ...(labels.dev ? { [DEV_LABEL]: 'true' } : {}) },
            annotations: { [BRANCH_ANNOTATION]: labels.branch },
          },
        },
      });
      return { owned: true, created: true };
    } catch (err) {
      // Someone created it between our read and our create: read it again.
      if (isConflict(err) && attempt < 3) continue;
      throw err;
    }
  }
}

/** Deletes the namespace (already gone is fine). */
export async function deleteNamespace(k: KubeClients, name: string): Promise<void> {
  try {
    await k.core.deleteNamespace({ name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * URLs of the Ingresses in `namespace` that belong to `releases` (label
 * app.kubernetes.io/instance or helm's meta.helm.sh/release-name annotation) or that Slipway's
 * kubectl deployer applied there: each rule's host and first path (ingress-urls.ts).
 */
export async function releaseUrls(k: KubeClients, namespace: string, releases: string[]): Promise<string[]> {
  const list = await k.networking.listNamespacedIngress({ namespace });
  const urls: string[] = [];
  for (const ing of list.items) {
    const md = ing.metadata;
    const owners = [md?.annotations?.['meta.helm.sh/release-name'], md?.labels?.['app.kubernetes.io/instance']];
    // a release's Ingress, or one Slipway's kubectl deployer applied into this environment
    const applied = md?.labels?.['slipway.dev/environment'] === namespace;
    if (!applied && !owners.some((o) => o !== undefined && releases.includes(o))) continue;
    for (const url of ingressUrls(ing)) if (!urls.includes(url)) urls.push(url);
  }
  return urls;
}

/** helm's record of a release (its default storage): one Secret per revision, labelled. */
const HELM_RELEASE_SECRET = 'helm.sh/release.v1';

/** The namespaces carrying Slipway's managed-by label (and `extraSelector`, e.g. `k=v`, when given). */
export async function listSlipwayNamespaces(k: KubeClients, extraSelector?: string): Promise<V1Namespace[]> {
  const labelSelector = [`${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`, ...(extraSelector ? [extraSelector] : [])].join(',');
  return (await k.core.listNamespace({ labelSelector })).items;
}

/** The names of the helm releases recorded in `namespace` (helm's release Secrets). */
export async function helmReleases(k: KubeClients, namespace: string): Promise<string[]> {
  const list = await k.core.listNamespacedSecret({ namespace, labelSelector: 'owner=helm' });
  const names = list.items.filter((s) => s.type === HELM_RELEASE_SECRET).map((s) => s.metadata?.labels?.name);
  return [...new Set(names.filter((n): n is string => typeof n === 'string' && n !== ''))];
}

/**
 * The status helm recorded for the newest revision of `release` in `namespace` (deployed,
 * failed, pending-upgrade, ...), read from helm's release Secrets as `helm status` reads them;
 * undefined when the release has none.
 */
export async function helmReleaseStatus(k: KubeClients, namespace: string, release: string): Promise<string | undefined> {
  const list = await k.core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release}` });
  let newest: { version: number; status: string | undefined } | undefined;
  for (const secret of list.items) {
    const labels = secret.metadata?.labels ?? {};
    const version = Number(labels.version);
    if (secret.type !== HELM_RELEASE_SECRET || labels.name !== release || !Number.isInteger(version)) continue;
    if (!newest || version > newest.version) newest = { version, status: labels.status };
  }
  return newest?.status;
}

/**
 * The last good kubectl deploy through the API: the Secret `kubectl get secret` / `kubectl apply`
 * would read and write (same name, labels and data), without starting kubectl twice per deploy.
 */
export function kubectlStateStore(k: KubeClients): KubectlStateStore {
  return {
    async read(namespace, pipeline) {
      try {
        return fromStateData((await k.core.readNamespacedSecret({ name: stateSecretName(pipeline), namespace })).data);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async write(namespace, pipeline, state) {
      // replaced first: after the first deploy there is one, and that is a single round trip
      const body = stateSecretObject(namespace, pipeline, state);
      try {
        await k.core.replaceNamespacedSecret({ name: body.metadata.name, namespace, body });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await k.core.createNamespacedSecret({ namespace, body });
      }
    },
  };
}

/** A timestamp as kubectl prints it (client-node gives Dates). */
const isoTime = (t: Date | string | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'));

function podLike(p: V1Pod): PodLike {
  const m = p.metadata ?? {};
  const created = isoTime(m.creationTimestamp);
  const deleted = isoTime(m.deletionTimestamp);
  return {
    metadata: {
      name: m.name ?? '',
      ...(m.labels ? { labels: m.labels } : {}),
      ...(created ? { creationTimestamp: created } : {}),
      ...(deleted ? { deletionTimestamp: deleted } : {}),
      ...(m.ownerReferences ? { ownerReferences: m.ownerReferences } : {}),
    },
    ...(p.status ? { status: p.status } : {}),
  };
}

const jobLike = (j: V1Job): JobLike => ({ metadata: { name: j.metadata?.name ?? '' }, ...(j.status ? { status: j.status } : {}) });

/**
 * A namespace's pods (and Jobs) for the status check and helm's fail-fast, as `kubectl get
 * pods,jobs.batch --output json` lists them, without starting kubectl once a second.
 */
export function workloadReader(k: KubeClients): WorkloadReader {
  return {
    async snapshot(namespace, withJobs) {
      const [pods, jobs] = await Promise.all([k.core.listNamespacedPod({ namespace }), withJobs ? k.batch.listNamespacedJob({ namespace }) : undefined]);
      return { pods: pods.items.map(podLike), jobs: (jobs?.items ?? []).map(jobLike) };
    },
  };
}
