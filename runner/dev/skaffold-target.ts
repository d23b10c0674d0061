// `slipway dev` on a skaffold.yaml: each iteration reads the file again from the working tree (a
// change to it takes effect at the next iteration), with the profiles asked for and those whose
// `activation` names `command: dev`; builds its artifacts as a skaffold build does (required ones
// first; the build cache rebuilds only artifacts whose inputs changed and those that require
// them) and deploys its helm releases and kubectl manifests. Two things differ from the file:
// tags are dev's own (the tagPolicy is not used: a gitCommit tag of a dirty tree would name a
// different image on every edit, and tags are immutable), and `local.push: false` is not obeyed
// (the cluster pulls the images, so they are pushed: to the registry their names say, or under
// the default repo). The default repo (SLIPWAY_DEFAULT_REPO, Skaffold's --default-repo) rewrites
// the artifacts' images as Skaffold does, and manifests, charts and templates still know each
// image by the name the file gives it. The cleanup uninstalls the releases and deletes what the
// kubectl deploys applied.
import { errorMessage } from '../../core/errors.ts';
import type { Plan } from '../../pipelines/plan.ts';
import { Pipeline, type SkaffoldRef } from '../../pipelines/schema.ts';
import { uninstallRelease } from '../deployers/helm.ts';
import { deleteArgv } from '../deployers/kubectl.ts';
import { readLastGood, stateSecretName } from '../deployers/kubectl-state.ts';
import { planDeployersFor } from '../deployers/plan-deployers.ts';
import { loadPlan, onDefaultRepo, planBuildStage, planDeployInputs } from '../stages/plan.ts';
import { templateVars } from '../stages/template-vars.ts';
import type { DevTarget } from './dev-loop.ts';

export interface SkaffoldTargetOptions {
  /** Labels the namespace and names the kubectl deploys' state (a DNS-1123 label). */
  name: string;
  /** The working directory (the repository root the skaffold file's paths are relative to). */
  dir: string;
  /** The file, its profiles (besides those that activate themselves) and modules. */
  skaffold: SkaffoldRef;
  /** kubectl's binary (default kubectl on PATH); its environment is helm's (KUBECONFIG). */
  kubectl?: string;
  /** Images are rewritten onto it (Skaffold's --default-repo rules, pipelines/default-repo.ts). */
  defaultRepo?: string;
}

/** The plan as `slipway dev` runs it: dev's tags, and pushed whatever local.push says. */
export function devPlan(plan: Plan, tagTemplate: string, line: (text: string) => void): Plan {
  if (!plan.build.push && plan.build.artifacts.length) {
    line('local.push is false: slipway dev pushes the images anyway, since the cluster pulls them from the registry their names say');
  }
  return { ...plan, build: { ...plan.build, tagPolicy: { kind: 'template', template: tagTemplate }, push: true } };
}

export function skaffoldTarget(o: SkaffoldTargetOptions): DevTarget {
  const pipeline = Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: o.name },
    source: { repo: `file://${o.dir}`, allowLocal: true },
    skaffold: o.skaffold,
  });
  const kubectl = o.kubectl ?? 'kubectl';
  const releases = new Set<string>();
  /** The global flags of the last kubectl deploy (they may name the cluster); undefined: none ran. */
  let kubectlGlobal: string[] | undefined;
  return {
    pipeline,
    async iterate(it) {
      const { plan, written } = onDefaultRepo(devPlan(await loadPlan(it.scope, it.checkout, 'dev'), it.tagTemplate, it.scope.line), o.defaultRepo);
      // templates know a rewritten image by the name the file gives it too
      const scope = written.size ? { ...it.scope, imageNames: written } : it.scope;
      const { images } = await planBuildStage(scope, it.checkout, plan);
      if (plan.deploys.length === 0) return { images, deployed: false };
      await it.prepareNamespace();
      const target = it.deployTarget(templateVars(scope, { sha: '', images, namespace: it.namespace }));
      const inputs = planDeployInputs(scope, it.checkout, images);
      const deployers = planDeployersFor(plan, target, {
        helm: it.helm,
        environments: it.environments,
        pipeline: pipeline.metadata.name,
        build: it.scope.build.id,
        ...inputs,
      });
      for (const [i, d] of deployers.entries()) {
        for (const r of d.releases) releases.add(r);
        const deploy = plan.deploys[i];
        if (deploy?.kind === 'kubectl') kubectlGlobal = deploy.flags.global;
        await d.deploy();
      }
      return { images, deployed: true };
    },
    async cleanup(c) {
      for (const r of releases) await uninstallRelease(c.run, c.helm, r, c.namespace).catch((err: unknown) => c.out(`[dev] could not uninstall ${r}: ${errorMessage(err)}`));
      if (!kubectlGlobal) return;
      const run = (argv: string[]) => c.run(argv, { env: c.helm.env ?? {} });
      try {
        const last = await readLastGood(run, kubectl, kubectlGlobal, c.namespace, pipeline.metadata.name);
        const state = { apiVersion: 'v1', kind: 'Secret', name: stateSecretName(pipeline.metadata.name) };
        await run(deleteArgv({ kubectl, namespace: c.namespace, flags: { global: kubectlGlobal, apply: [], delete: [] } }, [...(last?.objects ?? []), state]));
      } catch (err) {
        c.out(`[dev] could not delete what kubectl applied: ${errorMessage(err)}`);
      }
    },
  };
}
