// `slipway dev` on a skaffold.yaml: each iteration reads the file again from the working tree (a
// change to it takes effect at the next iteration), with the profiles asked for and those whose
// `activation` names `command: dev`, and runs its plan with plan-target.ts (required artifacts
// first; the build cache rebuilds only artifacts whose inputs changed and those that require
// them; dev's tags, always pushed). The default repo (SLIPWAY_DEFAULT_REPO, Skaffold's
// --default-repo) rewrites the artifacts' images as Skaffold does, and manifests, charts and
// templates still know each image by the name the file gives it.
import { Pipeline, type SkaffoldRef } from '../../pipelines/schema.ts';
import { loadPlan, onDefaultRepo } from '../stages/plan.ts';
import type { DevTarget } from './dev-loop.ts';
import { planTarget } from './plan-target.ts';

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

export function skaffoldTarget(o: SkaffoldTargetOptions): DevTarget {
  const pipeline = Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: o.name },
    source: { repo: `file://${o.dir}`, allowLocal: true },
    skaffold: o.skaffold,
  });
  return planTarget({
    pipeline,
    plan: async (it, readFiles) => onDefaultRepo(await loadPlan(it.scope, it.checkout, 'dev', readFiles), o.defaultRepo),
    ...(o.kubectl ? { kubectl: o.kubectl } : {}),
  });
}
