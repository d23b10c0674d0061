// Deploy: the plan's deployers (deployers/plan-deployers.ts), under the namespace's deploy lock,
// into the branch's environment. Not cancellable once started (deployers run without the build's cancel
// signal): a deploy that has begun finishes, and helm's --atomic leaves the release at its last
// good revision on failure. An older build never deploys over a newer one unless a person
// asked for it (the environment manager compares build numbers under the lock).
import { ConfigError, errorMessage } from '../../core/errors.ts';
import { cachedHelmMajor } from '../deployers/helm.ts';
import { planDeployersFor } from '../deployers/plan-deployers.ts';
import type { DeployTarget } from '../deployers/types.ts';
import { environmentNamespace } from '../environments/namespace.ts';
import { withNamespaceLock } from '../lock.ts';
import { planDeployInputs, type CheckedPlan } from './plan.ts';
import { firstLine, retry } from '../retry.ts';
import { retryOptions } from './retry-options.ts';
import type { BuildScope, DeployStageInput, DeployStageResult } from './types.ts';

/**
 * The deploy's warm-up, started while the builds run (runBuild): what the deploy stage will need
 * and what changes nothing anywhere: helm's version (asked once per process, cachedHelmMajor; the
 * helm deployer awaits the same answer) and the environment manager's own load (`warm`, e.g.
 * `slipway run` loading @kubernetes/client-node). Everything that touches the namespace or decides
 * from its state (the namespace and its record, a release's status, kubectl's last good state)
 * stays in deployStage, under the lock, after the builds succeeded: a build that fails or is
 * cancelled leaves what it left before. Errors are left to the deploy stage, which asks again
 * (a failed helm probe is not kept) or fails as it would have.
 */
export function warmDeploy(scope: BuildScope, plan: CheckedPlan): void {
  if (plan.deploys.length === 0) return;
  scope.deps.environments?.warm?.().catch(() => undefined);
  if (!plan.deploys.some((d) => d.kind === 'helm')) return;
  const helmEnv = scope.deps.helm?.env ?? {};
  // not the build's cancel signal: another build of this runner may be awaiting the same answer
  const run = (argv: string[], options: Parameters<BuildScope['run']>[1] = {}) =>
    scope.run(argv, { ...options, env: { ...helmEnv, ...options.env }, signal: new AbortController().signal });
  cachedHelmMajor(run, scope.deps.helm?.bin ?? 'helm', helmEnv).catch(() => undefined);
}

export async function deployStage(scope: BuildScope, { checkout, images, plan }: DeployStageInput): Promise<DeployStageResult> {
  const { environments, keys } = scope.deps;
  const redis = scope.deps.redis ?? (await scope.deps.connectRedis?.());
  if (!environments || !redis || !keys) throw new ConfigError('this runner has no Kubernetes environment manager: it cannot deploy');
  const branch = scope.build.branch;
  if (branch === undefined) throw new ConfigError('a deploy needs a branch (its environment is per branch)');

  // The namespace is known before the lock; everything that touches it (the namespace itself,
  // the environment record, the deployers) happens while holding the lock, so a teardown waiting
  // for it never sees a half-prepared environment, and never undoes a deploy that has just recorded.
  const namespace = environmentNamespace(scope.pipeline, branch);
  const target: DeployTarget = {
    namespace,
    workspace: checkout.workspace,
    // not the build's cancel signal: a started deploy is never killed by a cancel; a deployer's
    // own signal (the status check stopping a `kubectl rollout status` it no longer needs) stays
    run: (argv, options = {}) => scope.run(argv, { ...options, signal: options.signal ?? new AbortController().signal }),
    line: (text) => scope.line(text),
  };
  const helm = scope.deps.helm ? { helm: scope.deps.helm } : {};
  const deployers = planDeployersFor(plan, target, {
    environments,
    ...helm,
    pipeline: scope.pipeline.metadata.name,
    build: scope.build.id,
    ...planDeployInputs(scope, checkout, images, namespace),
  });
  const releases = deployers.flatMap((d) => d.releases);
  const input = { pipeline: scope.pipeline, ...(scope.profile ? { profile: scope.profile } : {}), branch, build: { ...scope.build, sha: checkout.sha, images } };

  const record = await withNamespaceLock(
    redis,
    keys,
    namespace,
    async () => {
      const env = await retry(() => environments.prepare({ ...input, releases }), {
        ...retryOptions(scope, false),
        onRetry: (err, attempt, attempts) => scope.line(`preparing the environment failed (attempt ${attempt} of ${attempts}), retrying: ${firstLine(err)}`),
      });
      if (env.supersededBy) return { supersededBy: env.supersededBy };
      await scope.update((r) => ({ ...r, environment: { id: env.id, namespace: env.namespace, releases } }));
      try {
        for (const d of deployers) await d.deploy();
      } catch (err) {
        await environments.recordFailure({ ...input, namespace, error: errorMessage(err) }).catch(() => undefined);
        throw err;
      }
      return environments.recordDeploy({ ...input, namespace, releases });
    },
    { onWait: () => scope.line(`waiting for the deploy lock of namespace ${namespace}`) },
  );
  if ('supersededBy' in record) {
    scope.line(`deploy skipped: ${namespace} already runs the newer build ${record.supersededBy}`);
    return { kind: 'superseded', by: record.supersededBy };
  }
  const url = record.urls[0];
  const environment = { id: record.id, namespace: record.namespace, releases, ...(url ? { url } : {}) };
  await scope.update((r) => ({ ...r, environment }));
  scope.line(`deployed to namespace ${namespace}`);
  return { kind: 'deployed', environment };
}
