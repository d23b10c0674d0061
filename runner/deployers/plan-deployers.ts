// The deployers of a plan's deploys, in order: helm (helm-plan.ts) and kubectl (kubectl.ts, for
// rawYaml and kustomize), of a checked plan: a deploy this runner has no deployer for is refused
// before anything builds (checkPlan, runner/stages/plan.ts), so none gets here.
import type { ImageRecord } from '../../core/records.ts';
import type { PlanTemplateVars } from '../../pipelines/plan-template.ts';
import type { EnvironmentManager } from '../environments/types.ts';
import type { CheckedPlan } from '../stages/plan.ts';
import type { HelmOptions } from './helm.ts';
import { createPlanHelmDeployer } from './helm-plan.ts';
import { createKubectlDeployer } from './kubectl.ts';
import type { BuiltImage } from './manifests.ts';
import type { Deployer, DeployTarget } from './types.ts';

export interface PlanDeployerDeps {
  helm?: HelmOptions;
  environments: EnvironmentManager;
  pipeline: string;
  build: string;
  images: readonly ImageRecord[];
  vars: PlanTemplateVars;
}

/** What manifests get for each artifact: repo:tag@digest when pushed, repo:tag when kept local. */
export function builtImages(images: readonly ImageRecord[]): BuiltImage[] {
  return images.map((i) => ({ name: i.name, ref: i.digest ? i.ref : `${i.name}:${i.tag}` }));
}

export function planDeployersFor(plan: CheckedPlan, target: DeployTarget, deps: PlanDeployerDeps): Deployer[] {
  const images = builtImages(deps.images);
  // each artifact by the names it goes by (the pushed one, and the file's under a default repo),
  // checked once every kubectl deploy has named what it uses; not with helm (a chart may take the
  // image from its values), nor for an artifact another requires (built as a base, not deployed)
  const required = new Set(plan.build.artifacts.flatMap((a) => a.requires.map((r) => r.image)));
  const byRef = new Map<string, string[]>();
  for (const i of deps.images) byRef.set(i.ref, [...(byRef.get(i.ref) ?? []), i.name]);
  const artifacts = [...byRef.values()].filter((names) => !names.some((n) => required.has(n)));
  const lastKubectl = plan.deploys.every((d) => d.kind === 'kubectl') ? plan.deploys.length - 1 : -1;
  const named = new Set<string>();
  return plan.deploys.map((d, index): Deployer => {
    switch (d.kind) {
      case 'helm':
        return createPlanHelmDeployer(d, target, {
          ...(deps.helm ? { helm: deps.helm } : {}),
          environments: deps.environments,
          vars: deps.vars,
          images,
          statusCheck: plan.statusCheck,
          ...(deps.environments.workloads ? { reader: deps.environments.workloads } : {}),
        });
      case 'kubectl':
        return createKubectlDeployer(d, target, {
          kubectl: { ...(deps.helm?.env ? { env: deps.helm.env } : {}) },
          pipeline: deps.pipeline,
          build: deps.build,
          images,
          imageUse: { named, ...(index === lastKubectl ? { check: artifacts } : {}) },
          statusCheck: plan.statusCheck,
          ...(deps.environments.kubectlState ? { state: deps.environments.kubectlState } : {}),
          ...(deps.environments.workloads ? { reader: deps.environments.workloads } : {}),
        });
    }
  });
}
