// A plan's helm releases, in order: each repaired if stuck in pending-*, then `helm upgrade
// --install` (argv from helm.ts; --atomic unless the deploy says otherwise). Values: a native
// pipeline's setValues rendered and passed as strings (--set-string); Skaffold's setValues and
// rendered setValueTemplates as --set (typed, as Skaffold passes them), setFiles as --set-file, and
// the post-renderer replacing the artifacts' images in the rendered chart. helm's version is asked
// as soon as the deployer is made (once per process), while the deploy lock is awaited.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeployError } from '../../core/errors.ts';
import { firstUnrecoverable, type Problem, type WorkloadReader } from './status-check.ts';
import { durationMs } from '../../pipelines/duration.ts';
import type { PlanDeploy, PlanHelmRelease, PlanStatusCheck } from '../../pipelines/plan.ts';
import { renderPlanTemplate, type PlanTemplateVars } from '../../pipelines/plan-template.ts';
import type { EnvironmentManager } from '../environments/types.ts';
import { resolveInside } from '../workspace-path.ts';
import { cachedHelmMajor, helmReason, repairRelease, upgradeArgv, type HelmOptions } from './helm.ts';
import type { BuiltImage } from './manifests.ts';
import { postRendererFlags } from './post-renderer.ts';
import type { Deployer, DeployTarget, Run } from './types.ts';

export interface PlanHelmDeps {
  helm?: HelmOptions;
  environments: EnvironmentManager;
  /** What setValueTemplates see: IMAGE_REPO_x ..., BUILD_NUMBER, the environment. */
  vars: PlanTemplateVars;
  images: readonly BuiltImage[];
  /** The plan's status check: without tolerateFailuresUntilDeadline a pod that cannot recover stops the wait. */
  statusCheck?: PlanStatusCheck;
  /** kubectl, for reading the pods meanwhile (helm's environment); default 'kubectl' on PATH. */
  kubectl?: string;
  /**
   * Where the pods are read meanwhile instead of with `kubectl get pods` once a second (the
   * environment manager's Kubernetes client; helm's fail-fast has no kubectl flags of its own).
   */
  reader?: WorkloadReader;
}

function releaseFlags(r: PlanHelmRelease, workspace: string, vars: PlanTemplateVars): string[] {
  const set = (k: string, v: string) => ['--set', `${k}=${v}`];
  return [
    ...Object.entries(r.setValues).flatMap(([k, v]) => set(k, v)),
    ...Object.entries(r.setValueTemplates).flatMap(([k, v]) => set(k, renderPlanTemplate(v, vars))),
    ...Object.entries(r.setFiles).flatMap(([k, f]) => ['--set-file', `${k}=${resolveInside(workspace, f, `release ${r.name} setFiles`)}`]),
  ];
}

export function createPlanHelmDeployer(config: Extract<PlanDeploy, { kind: 'helm' }>, target: DeployTarget, deps: PlanHelmDeps): Deployer {
  const helm = deps.helm?.bin ?? 'helm';
  const helmEnv = deps.helm?.env ?? {};
  const { namespace, workspace } = target;
  const run: Run = (argv, options = {}) => target.run(argv, { ...options, env: { ...helmEnv, ...options.env } });
  const majorP = cachedHelmMajor(run, helm, helmEnv);
  majorP.catch(() => undefined); // awaited in deploy()
  // helm keeps its releases in Secrets unless HELM_DRIVER says otherwise: then their status is
  // read from the cluster, not by starting `helm status`
  const driver = 'HELM_DRIVER' in helmEnv ? helmEnv.HELM_DRIVER : process.env.HELM_DRIVER;
  const releaseStatus = !driver || /^secrets?$/i.test(driver) ? deps.environments.releaseStatus?.bind(deps.environments) : undefined;
  const planned = config.releases.map((r) => {
    if (r.namespace && r.namespace.value !== namespace) {
      throw new DeployError(`${r.namespace.where}: release ${r.name} names namespace ${r.namespace.value}: everything deploys into the environment namespace ${namespace}`);
    }
    return {
      r,
      chart: resolveInside(workspace, r.chartPath, `release ${r.name} chartPath`),
      valuesFiles: r.valuesFiles.map((f) => resolveInside(workspace, renderPlanTemplate(f, deps.vars), `release ${r.name} values file`)),
      setStrings: Object.fromEntries(Object.entries(r.setStringTemplates).map(([k, v]) => [k, renderPlanTemplate(v, deps.vars)])),
      flags: releaseFlags(r, workspace, deps.vars),
    };
  });
  // Skaffold's fail-fast for helm's own wait: a pod of this deploy that cannot recover stops helm
  // (SIGTERM), which with --atomic rolls the release back itself, long before --timeout
  const check = deps.statusCheck;
  const failFast = check !== undefined && check.enabled && !check.tolerateFailuresUntilDeadline;
  const upgradeFailingFast = async (release: string, argv: string[]): Promise<void> => {
    const stopHelm = new AbortController();
    const stopWatch = new AbortController();
    let problem: Problem | undefined;
    const watching = firstUnrecoverable({
      run,
      kubectl: deps.kubectl ?? 'kubectl',
      namespace,
      flags: { global: [], apply: [], delete: [] },
      since: Date.now(),
      signal: stopWatch.signal,
      ...(deps.reader ? { reader: deps.reader } : {}),
    }).then((p) => {
      if (!p) return;
      problem = p;
      target.line(`${p.message}: stopping helm, which rolls release ${release} back`);
      stopHelm.abort();
    });
    try {
      // helm gets its whole timeout to roll back before it is killed
      await run(argv, { signal: stopHelm.signal, killGraceMs: (durationMs(config.timeout) ?? 600_000) + 30_000 });
    } catch (err) {
      if (problem) throw new DeployError(`release ${release} cannot become ready: ${problem.message} (rolled back without waiting out the ${config.timeout} timeout)`, { cause: err });
      throw err;
    } finally {
      stopWatch.abort();
      await watching;
    }
  };
  return {
    kind: 'helm',
    releases: planned.map((p) => p.r.name),
    async deploy() {
      const scratch = await mkdtemp(path.join(tmpdir(), 'slipway-helm-'));
      try {
        const major = await majorP;
        for (const [i, p] of planned.entries()) {
          const readStatus = releaseStatus ? () => releaseStatus(namespace, p.r.name) : undefined;
          const repaired = await repairRelease(run, helm, p.r.name, namespace, config.timeout, readStatus);
          if (repaired) target.line(repaired);
          const post = p.r.replaceImages ? await postRendererFlags(path.join(scratch, `images-${i}.json`), { images: deps.images, namespace }) : [];
          target.line(`deploying release ${p.r.name} into namespace ${namespace}`);
          const argv = upgradeArgv({ helm, major, namespace, timeout: config.timeout, atomic: config.atomic, release: p.r.name, chart: p.chart, valuesFiles: p.valuesFiles, setValues: p.setStrings, extraFlags: [...p.flags, ...post] });
          await (failFast ? upgradeFailingFast(p.r.name, argv) : run(argv));
        }
      } catch (err) {
        if (err instanceof DeployError) throw err;
        throw new DeployError(`helm failed: ${helmReason(err)}`, { cause: err });
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
  };
}
