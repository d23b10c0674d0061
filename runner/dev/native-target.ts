// `slipway dev --pipeline FILE` on a native pipeline: its build section (the build cache leaves
// unchanged artifacts alone) and its helm releases, which the cleanup uninstalls.
import { errorMessage } from '../../core/errors.ts';
import { withDefaultRepo } from '../../pipelines/default-repo.ts';
import type { Pipeline } from '../../pipelines/schema.ts';
import { deployersFor } from '../deployers/deployers-for.ts';
import { uninstallRelease } from '../deployers/helm.ts';
import { buildStage } from '../stages/build.ts';
import { templateVars } from '../stages/template-vars.ts';
import type { DevTarget } from './dev-loop.ts';

export function nativeTarget(written: Pipeline, defaultRepo?: string): DevTarget {
  const pipeline = withDefaultRepo(written, defaultRepo);
  const deployed = new Set<string>();
  return {
    pipeline,
    async iterate(it) {
      const scope = { ...it.scope, pipeline: { ...pipeline, build: { ...pipeline.build, tagPolicy: { template: it.tagTemplate } } } };
      const { images } = await buildStage(scope, { checkout: it.checkout });
      if (!pipeline.deploy.helm) return { images, deployed: false };
      await it.prepareNamespace(pipeline.environment.imagePullSecret);
      const target = it.deployTarget(templateVars(scope, { sha: '', images, namespace: it.namespace }));
      for (const d of deployersFor(pipeline.deploy, target, { helm: it.helm, environments: it.environments })) {
        for (const r of d.releases) deployed.add(r);
        await d.deploy();
      }
      return { images, deployed: true };
    },
    async cleanup(c) {
      for (const r of deployed) await uninstallRelease(c.run, c.helm, r, c.namespace).catch((err: unknown) => c.out(`[dev] could not uninstall ${r}: ${errorMessage(err)}`));
    },
  };
}
