// The deployers a pipeline's deploy: section asks for, in the order they run. A new deployer
// is a file in this folder implementing Deployer, plus one line here and one in hasDeployers.
import type { Deploy } from '../../pipelines/schema.ts';
import type { EnvironmentManager } from '../environments/types.ts';
import { createHelmDeployer, type HelmOptions } from './helm.ts';
import type { Deployer, DeployTarget } from './types.ts';

export interface DeployerDeps {
  helm?: HelmOptions;
  environments: EnvironmentManager;
}

/** True when the pipeline deploys at all (the deploy stage runs, a deploy needs Redis). */
export function hasDeployers(deploy: Deploy): boolean {
  return deploy.helm !== undefined;
}

/**
 * The pipeline's deployers for this target. Creating them checks their paths and templates
 * (so a bad one fails before the lock is waited for) and starts any probe worth starting early.
 */
export function deployersFor(deploy: Deploy, target: DeployTarget, deps: DeployerDeps): Deployer[] {
  const out: Deployer[] = [];
  if (deploy.helm) out.push(createHelmDeployer(deploy.helm, target, deps));
  return out;
}
