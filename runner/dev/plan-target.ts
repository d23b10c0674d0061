// What one `slipway dev` iteration does with a plan (pipelines/plan.ts), whichever file it was
// written in (native-target.ts, skaffold-target.ts): builds it with the build stage (the build
// cache leaves unchanged artifacts alone), runs its tests with the test stage, as a CI build does
// (sandboxed; a failing test fails the iteration and nothing of it is deployed; --skip-tests: none
// run), then deploys its helm releases and kubectl manifests with the plan's deployers. Two things
// differ from a CI build: tags are dev's own (the
// tagPolicy is not used: a gitCommit tag of a dirty tree would name a different image on every
// edit, and tags are immutable), and `local.push: false` is not obeyed (the cluster pulls the
// images, so they are pushed). The cleanup uninstalls the releases and deletes what the kubectl
// deploys applied.
import path from 'node:path';
import { errorMessage } from '../../core/errors.ts';
import type { Plan } from '../../pipelines/plan.ts';
import type { ImagePullSecret, Pipeline } from '../../pipelines/schema.ts';
import { uninstallRelease } from '../deployers/helm.ts';
import { deleteArgv } from '../deployers/kubectl.ts';
import { readLastGood, stateSecretName } from '../deployers/kubectl-state.ts';
import { planDeployersFor } from '../deployers/plan-deployers.ts';
import { buildStage } from '../stages/build.ts';
import { checkedPlan, planDeployInputs } from '../stages/plan.ts';
import { testStage } from '../stages/test.ts';
import { NEVER_WATCHED, planDependencies, type PlanDependencyMap } from './dependencies.ts';
import type { DevIteration, DevTarget } from './dev-loop.ts';

export interface PlanTargetOptions {
  /** The pipeline the iterations' build scope carries (its name labels the namespace and names the kubectl state). */
  pipeline: Pipeline;
  /**
   * The iteration's plan, and each image the plan renamed onto the default repo by the name its
   * file gives it; `readFiles` is told the files it was read from (relative to the working
   * directory), also when they make no plan: a change to one of them starts the next iteration.
   */
  plan(it: DevIteration, readFiles: (files: readonly string[]) => void): Promise<{ plan: Plan; written: ReadonlyMap<string, string> }>;
  /** Created in the namespace before the first deploy. */
  pullSecret?: ImagePullSecret;
  /** kubectl's binary (default kubectl on PATH); its environment is helm's (KUBECONFIG). */
  kubectl?: string;
}

/**
 * The plan as `slipway dev` runs it: dev's tags, pushed whatever local.push says; its tests as
 * written, or none with --skip-tests (so the check asks for no test tool either).
 */
export function devPlan(plan: Plan, tagTemplate: string, line: (text: string) => void, skipTests = false): Plan {
  if (!plan.build.push && plan.build.artifacts.length) {
    line('local.push is false: slipway dev pushes the images anyway, since the cluster pulls them from the registry their names say');
  }
  const build = { ...plan.build, tagPolicy: { kind: 'template' as const, template: tagTemplate }, push: true };
  return { ...plan, build, ...(skipTests ? { tests: [] } : {}) };
}

export function planTarget(o: PlanTargetOptions): DevTarget {
  const { pipeline } = o;
  const kubectl = o.kubectl ?? 'kubectl';
  const releases = new Set<string>();
  /** The global flags of the last kubectl deploy (they may name the cluster); undefined: none ran. */
  let kubectlGlobal: string[] | undefined;
  /** The files the last plan was read from. */
  let configFiles: readonly string[] = [];
  /** What the last plan read depends on; undefined: no plan read yet. */
  let dependencies: PlanDependencyMap | undefined;
  return {
    pipeline,
    dependent(file) {
      const f = file.split(path.sep).join('/');
      if (configFiles.includes(f)) return 'the skaffold config';
      if (dependencies) return dependencies.of(f);
      // nothing known yet (the first plan is being read): any change may matter
      return configFiles.length || NEVER_WATCHED.test(f) ? undefined : 'the working directory';
    },
    async iterate(it) {
      const { plan: read, written } = await o.plan(it, (files) => (configFiles = files));
      const dev = devPlan(read, it.tagTemplate, it.scope.line, it.skipTests);
      // the plan as it runs (--skip-tests: its tests' dependencies are not watched either), also when it is refused
      dependencies = await planDependencies(it.checkout.workspace, dev);
      // templates know a rewritten image by the name the file gives it too
      const scope = written.size ? { ...it.scope, imageNames: written } : it.scope;
      // refused whole before anything builds, as a CI build's plan is
      const plan = await checkedPlan(scope, dev);
      const { images } = await buildStage(scope, { checkout: it.checkout, plan });
      // a failing test throws: the iteration fails before its deploy, as a CI build does
      if (plan.tests.length) await testStage(scope, { checkout: it.checkout, plan, images });
      if (plan.deploys.length === 0) return { images, deployed: false };
      await it.prepareNamespace(o.pullSecret);
      const deployers = planDeployersFor(plan, it.deployTarget(), {
        helm: it.helm,
        environments: it.environments,
        pipeline: pipeline.metadata.name,
        build: it.scope.build.id,
        ...planDeployInputs(scope, it.checkout, images, it.namespace),
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
