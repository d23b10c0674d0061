// Least privilege in the cluster: the runner holds cluster-wide only what namespaces need (see
// charts/slipway/templates/rbac.yaml); its rights inside an environment come from a RoleBinding it
// makes in each namespace it creates, binding its own ServiceAccount to the `slipway-environment`
// ClusterRole. Configured by SLIPWAY_RUNNER_SERVICE_ACCOUNT=<namespace>/<name>; unset, no
// RoleBinding is made (the runner is expected to hold the rights already, e.g. cluster-admin).
import { ConfigError, UnavailableError } from '../../core/errors.ts';
import { isConflict, isForbidden, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type KubeClients, type WaitOptions } from './kube.ts';
import { isDns1123Label } from './namespace.ts';

export const DEFAULT_ENVIRONMENT_ROLE = 'slipway-environment';
/** The RoleBinding's name in each environment namespace. */
export const RUNNER_ROLE_BINDING = 'slipway-runner';

export interface RunnerAccess {
  serviceAccount: { namespace: string; name: string };
  /** The ClusterRole the RoleBinding refers to. */
  clusterRole: string;
}

/** SLIPWAY_RUNNER_SERVICE_ACCOUNT and SLIPWAY_ENVIRONMENT_CLUSTER_ROLE; undefined when the first is unset. */
export function runnerAccess(env: NodeJS.ProcessEnv = process.env): RunnerAccess | undefined {
  const raw = env.SLIPWAY_RUNNER_SERVICE_ACCOUNT;
  if (!raw) return undefined;
  const [namespace, name, ...rest] = raw.split('/');
  if (rest.length > 0 || !namespace || !name || !isDns1123Label(namespace) || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    throw new ConfigError(`SLIPWAY_RUNNER_SERVICE_ACCOUNT must be <namespace>/<name> of a ServiceAccount, got ${JSON.stringify(raw)}`);
  }
  const clusterRole = env.SLIPWAY_ENVIRONMENT_CLUSTER_ROLE || DEFAULT_ENVIRONMENT_ROLE;
  if (!/^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/.test(clusterRole)) {
    throw new ConfigError(`SLIPWAY_ENVIRONMENT_CLUSTER_ROLE must be a ClusterRole name, got ${JSON.stringify(clusterRole)}`);
  }
  return { serviceAccount: { namespace, name }, clusterRole };
}

/**
 * Binds the runner's ServiceAccount to the environment ClusterRole in `namespace` (one that is
 * there already is kept), then waits until the API server's authorizer honours it, so the helm
 * or kubectl run that follows is not refused while RBAC catches up.
 */
export async function ensureRunnerAccess(k: KubeClients, namespace: string, access: RunnerAccess, opts: WaitOptions = {}): Promise<void> {
  try {
    await k.rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: RUNNER_ROLE_BINDING, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: access.clusterRole },
        subjects: [{ kind: 'ServiceAccount', name: access.serviceAccount.name, namespace: access.serviceAccount.namespace }],
      },
    });
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    try {
      await k.networking.listNamespacedIngress({ namespace, limit: 1 });
      return;
    } catch (err) {
      if (!isForbidden(err)) throw err;
      if (Date.now() > deadline) throw new UnavailableError(`the RoleBinding ${RUNNER_ROLE_BINDING} in ${namespace} does not grant access yet (is ClusterRole ${access.clusterRole} installed?)`);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
    }
  }
}
