// kubectl deploys, atomic like helm's: apply server-side, wait for the workloads to roll out
// within the status-check deadline (status-check.ts: failing fast on a pod that cannot recover,
// unless tolerateFailuresUntilDeadline), and on failure put back the last good deploy's manifests
// and delete what the failed one added (nothing is left of a first deploy that failed). On
// success, what earlier deploys applied and this one no longer has is pruned, and this deploy
// becomes the last good one (kubectl-state.ts). The build log says what was rolled back and why.
import { DeployError, errorMessage } from '../../core/errors.ts';
import type { KubectlFlags, PlanDeploy, PlanStatusCheck } from '../../pipelines/plan.ts';
import { imagesNamed, LABEL_ENVIRONMENT, LABEL_PIPELINE, manifestStream, prepareManifests, type BuiltImage, type ManifestObject } from './manifests.ts';
import { renderSources } from './render.ts';
import type { Deployer, DeployTarget, Run } from './types.ts';
import { readLastGood, stateSecret, type KubectlStateStore, type LastGood, type ObjectRef } from './kubectl-state.ts';
import { statusCheck, type WorkloadReader } from './status-check.ts';

const quiet = (): void => undefined;

export interface KubectlDeployInput {
  /** The exec door, without the build's cancel signal: a started deploy finishes. */
  run: Run;
  kubectl: string;
  namespace: string;
  pipeline: string;
  /** The build deploying (recorded with the last good state). */
  build: string;
  /** Prepared objects (manifests.ts: namespace, labels, images). */
  objects: readonly ManifestObject[];
  flags: KubectlFlags;
  statusCheck: PlanStatusCheck;
  line(text: string): void;
  /** Where the last good deploy is read and written instead of with kubectl (the Kubernetes API). */
  state?: KubectlStateStore;
  /** Where the status check reads pods and Jobs instead of with `kubectl get` (the Kubernetes API). */
  reader?: WorkloadReader;
}

export interface KubectlDeployResult {
  applied: ObjectRef[];
  pruned: ObjectRef[];
}

export function refOf(o: Record<string, unknown>): ObjectRef {
  return { apiVersion: String(o.apiVersion), kind: String(o.kind), name: String((o.metadata as { name?: unknown }).name) };
}

/** kubectl's resource/name: Kind.group/name (the group keeps kinds of two APIs apart). */
export function resourceArg(r: ObjectRef): string {
  const slash = r.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : r.apiVersion.slice(0, slash);
  return `${r.kind}${group ? `.${group}` : ''}/${r.name}`;
}

const same = (a: ObjectRef, b: ObjectRef) => resourceArg(a) === resourceArg(b);

export function applyArgv(i: Pick<KubectlDeployInput, 'kubectl' | 'namespace' | 'flags'>): string[] {
  return [i.kubectl, ...i.flags.global, 'apply', '--server-side', '--force-conflicts', '--field-manager', 'slipway', '--namespace', i.namespace, ...i.flags.apply, '--filename', '-'];
}

export function deleteArgv(i: Pick<KubectlDeployInput, 'kubectl' | 'namespace' | 'flags'>, refs: readonly ObjectRef[]): string[] {
  return [i.kubectl, ...i.flags.global, 'delete', ...refs.map(resourceArg), '--namespace', i.namespace, '--ignore-not-found', '--wait=false', ...i.flags.delete];
}

function lastLine(err: unknown): string {
  const tail = (err as { tail?: string[] }).tail ?? errorMessage(err).split('\n');
  return (tail.filter((l) => l.trim()).at(-1) ?? 'failed').replace(/^error:\s*/i, '');
}

async function rollBack(i: KubectlDeployInput, last: LastGood | undefined, applied: ObjectRef[], why: string): Promise<void> {
  if (last) {
    await i.run(applyArgv(i), { input: last.manifests, onLine: quiet });
    const added = applied.filter((a) => !last.objects.some((b) => same(a, b)));
    if (added.length) await i.run(deleteArgv(i, added));
    i.line(`rolled back to the manifests of build ${last.build}${added.length ? `, deleted ${added.map(resourceArg).join(', ')}` : ''}: ${why}`);
  } else {
    if (applied.length) await i.run(deleteArgv(i, applied));
    i.line(`rolled back: there was no earlier deploy, deleted ${applied.map(resourceArg).join(', ')}: ${why}`);
  }
}

export async function kubectlDeploy(i: KubectlDeployInput): Promise<KubectlDeployResult> {
  const last = i.state ? await i.state.read(i.namespace, i.pipeline) : await readLastGood(i.run, i.kubectl, i.flags.global, i.namespace, i.pipeline);
  const applied = i.objects.map((o) => refOf(o.object));
  const stream = manifestStream(i.objects);
  i.line(`applying ${applied.length} objects into namespace ${i.namespace}: ${applied.map(resourceArg).join(', ')}`);
  let failures: string[];
  try {
    await i.run(applyArgv(i), { input: stream });
    failures = await statusCheck({ ...i, objects: i.objects.map((o) => o.object) });
  } catch (err) {
    failures = [`kubectl apply failed: ${lastLine(err)}`];
  }
  if (failures.length) {
    const why = failures.join('; ');
    try {
      await rollBack(i, last, applied, why);
    } catch (err) {
      throw new DeployError(`${why}; and the rollback failed: ${lastLine(err)}`, { cause: err });
    }
    throw new DeployError(why);
  }
  const pruned = (last?.objects ?? []).filter((b) => !applied.some((a) => same(a, b)));
  if (pruned.length) {
    await i.run(deleteArgv(i, pruned));
    i.line(`pruned what this deploy no longer has: ${pruned.map(resourceArg).join(', ')}`);
  }
  const good = { build: i.build, manifests: stream, objects: applied };
  if (i.state) await i.state.write(i.namespace, i.pipeline, good);
  else await i.run(applyArgv({ ...i, flags: { ...i.flags, apply: [] } }), { input: stateSecret(i.namespace, i.pipeline, good), onLine: quiet });
  return { applied, pruned };
}

export interface KubectlDeployerDeps {
  /** kubectl's binary and extra environment (KUBECONFIG); default 'kubectl' on PATH. */
  kubectl?: { bin?: string; env?: Record<string, string | undefined> };
  pipeline: string;
  build: string;
  images: readonly BuiltImage[];
  statusCheck: PlanStatusCheck;
  /**
   * The runner's own way to the last good deploy and to the pods the status check reads (the
   * environment manager's Kubernetes client). Used only without global kubectl flags: those may
   * name another cluster or context.
   */
  state?: KubectlStateStore;
  reader?: WorkloadReader;
  /**
   * Skaffold's `image [x] is not used by the deployment`: every kubectl deploy of the plan adds the
   * image names its manifests name to `named`; the one given `check` (the last, when nothing but
   * kubectl deploys) then warns of each artifact none named, by the names it goes by.
   */
  imageUse?: { named: Set<string>; check?: readonly (readonly string[])[] };
}

/** A plan's kubectl deploy as a Deployer: render the sources, prepare the objects, deploy atomically. */
export function createKubectlDeployer(config: Extract<PlanDeploy, { kind: 'kubectl' }>, target: DeployTarget, deps: KubectlDeployerDeps): Deployer {
  const kubectl = deps.kubectl?.bin ?? 'kubectl';
  const run: Run = (argv, options = {}) => target.run(argv, { ...options, env: { ...deps.kubectl?.env, ...options.env } });
  return {
    kind: 'kubectl',
    releases: [],
    async deploy() {
      const rendered = await renderSources({ root: target.workspace, sources: config.sources, run, kubectl });
      const objects = prepareManifests(rendered, {
        namespace: target.namespace,
        images: deps.images,
        labels: { [LABEL_PIPELINE]: deps.pipeline, [LABEL_ENVIRONMENT]: target.namespace },
      });
      if (deps.imageUse) {
        const { named, check = [] } = deps.imageUse;
        for (const n of imagesNamed(rendered, deps.images)) named.add(n);
        for (const names of check) {
          if (!names.some((n) => named.has(n))) {
            target.line(`warning: image ${names.at(-1)!} is not used by the deployment: no manifest's image: names it, so it was built but what runs is not it`);
          }
        }
      }
      const own = config.flags.global.length === 0;
      const state = { ...(own && deps.state ? { state: deps.state } : {}), ...(own && deps.reader ? { reader: deps.reader } : {}) };
      await kubectlDeploy({ run, kubectl, namespace: target.namespace, pipeline: deps.pipeline, build: deps.build, objects, flags: config.flags, statusCheck: deps.statusCheck, line: target.line, ...state });
    },
  };
}
