// Deploy: each helm release, under the namespace's deploy lock, after repairing a release stuck
// in pending-*. Not cancellable once started (it runs without the build's cancel signal): a
// deploy that has begun finishes, and helm's --atomic leaves the release at its last good
// revision on failure.
import { ConfigError, DeployError, errorMessage } from '../../core/errors.ts';
import { render } from '../../pipelines/template.ts';
import { templateVars, type BuildContext } from '../build-context.ts';
import { cachedHelmMajor, repairRelease, upgradeArgv, type Run } from '../deployers/helm.ts';
import { environmentNamespace } from '../environments/namespace.ts';
import { withNamespaceLock } from '../lock.ts';
import { resolveInside } from '../workspace-path.ts';

function helmReason(err: unknown): string {
  const tail = (err as { tail?: string[] }).tail;
  const lines = (tail ?? errorMessage(err).split('\n')).filter((l) => /error|failed|timed out|context deadline/i.test(l));
  return (lines.at(-1) ?? errorMessage(err).split('\n')[0] ?? 'helm failed').replace(/^Error:\s*/, '');
}

export async function deployStage(ctx: BuildContext): Promise<void> {
  const helmCfg = ctx.pipeline.deploy.helm;
  if (!helmCfg) return;
  const { environments, redis, keys } = ctx.deps;
  if (!environments || !redis || !keys) throw new ConfigError('this runner has no Kubernetes environment manager: it cannot deploy');
  if (ctx.branch === undefined) throw new ConfigError('a deploy needs a branch (its environment is per branch)');
  const helm = ctx.deps.helm?.bin ?? 'helm';
  const helmEnv = ctx.deps.helm?.env ?? {};
  // no signal: a started deploy is never killed
  const run: Run = (argv, options = {}) => ctx.run(argv, { ...options, env: { ...helmEnv, ...options.env }, signal: new AbortController().signal });

  const input = { pipeline: ctx.pipeline, ...(ctx.profile ? { profile: ctx.profile } : {}), branch: ctx.branch, build: ctx.record };
  // helm's version (asked once per process) is asked while the lock is awaited, not in series
  const majorP = cachedHelmMajor(run, helm, helmEnv);
  majorP.catch(() => undefined); // awaited below
  // helm keeps its releases in Secrets unless HELM_DRIVER says otherwise: then their status is
  // read from the cluster, not by starting `helm status`
  const driver = 'HELM_DRIVER' in helmEnv ? helmEnv.HELM_DRIVER : process.env.HELM_DRIVER;
  const releaseStatus = !driver || /^secrets?$/i.test(driver) ? environments.releaseStatus?.bind(environments) : undefined;
  // The namespace is known before the lock; everything that touches it (the namespace itself,
  // the environment record, helm) happens while holding the lock, so a teardown waiting for it
  // never sees a half-prepared environment, and never undoes a deploy that has just recorded.
  const namespace = environmentNamespace(ctx.pipeline, ctx.branch);
  ctx.namespace = namespace;
  const releases = helmCfg.releases.map((r) => r.name);
  const vars = templateVars(ctx);
  const planned = helmCfg.releases.map((r) => ({
    release: r.name,
    chart: resolveInside(ctx.workspace!, r.chartPath, `release ${r.name} chartPath`),
    valuesFiles: r.valuesFiles.map((f) => resolveInside(ctx.workspace!, render(f, vars), `release ${r.name} values file`)),
    setValues: Object.fromEntries(Object.entries(r.setValues).map(([k, v]) => [k, render(v, vars)])),
  }));

  const record = await withNamespaceLock(
    redis,
    keys,
    namespace,
    async () => {
      const env = await environments.prepare(input);
      await ctx.update((r) => ({ ...r, environment: { id: env.id, namespace: env.namespace, releases } }));
      try {
        const major = await majorP;
        for (const p of planned) {
          const readStatus = releaseStatus ? () => releaseStatus(namespace, p.release) : undefined;
          const repaired = await repairRelease(run, helm, p.release, namespace, helmCfg.timeout, readStatus);
          if (repaired) ctx.line(repaired);
          ctx.line(`deploying release ${p.release} into namespace ${namespace}`);
          await run(upgradeArgv({ helm, major, namespace, timeout: helmCfg.timeout, atomic: helmCfg.atomic, ...p }));
        }
      } catch (err) {
        const reason = helmReason(err);
        await environments.recordFailure({ ...input, namespace, error: reason }).catch(() => undefined);
        throw new DeployError(`helm failed: ${reason}`, { cause: err });
      }
      return environments.recordDeploy({ ...input, namespace, releases });
    },
    { onWait: () => ctx.line(`waiting for the deploy lock of namespace ${namespace}`) },
  );
  const url = record.urls[0];
  await ctx.update((r) => ({ ...r, environment: { id: record.id, namespace: record.namespace, releases, ...(url ? { url } : {}) } }));
  ctx.line(`deployed to namespace ${namespace}`);
}
