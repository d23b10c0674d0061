// The plan a build runs (pipelines/plan.ts): a native pipeline's, or the repository's skaffold.yaml
// read from the checkout (pipelines/skaffold/) with its images on the default repo; the one check
// of what in it this runner cannot run (checkPlan, before the build stage), whose CheckedPlan is
// all the stages take; and what the plan's templates and deployers see of the build.
import { ConfigError, formatProblem, type Problem } from '../../core/errors.ts';
import type { ImageRecord } from '../../core/records.ts';
import { planFromPipeline, unpushedDeployWarning, type Plan, type PlanArtifact, type PlanBuild, type PlanBuilder, type PlanDeploy, type PlanTest } from '../../pipelines/plan.ts';
import type { PlanTemplateVars } from '../../pipelines/plan-template.ts';
import { substituteDefaultRepo } from '../../pipelines/default-repo.ts';
import { sanitizeImageName } from '../../pipelines/skaffold/upgrade.ts';
import { loadSkaffold } from '../../pipelines/skaffold/load.ts';
import { imageTemplateValues } from '../deployers/image-values.ts';
import { currentKubeContext } from '../kube-context.ts';
import { bubblewrapSandbox, stepProgram } from '../sandbox.ts';
import { buildEnv, templateVars } from './template-vars.ts';
import type { BuildScope, Checkout } from './types.ts';

/** Runner variables a skaffold template must not see (they could end up in tags, build args, values). */
const HIDDEN = /^SLIPWAY_|TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|API_?KEY|AUTH/i;

/** What plan templates see: Slipway's variables, the runner's environment (minus secrets), the build's and the images'. */
export function planVars(scope: BuildScope, checkout: Checkout, images: readonly ImageRecord[] = [], namespace?: string): PlanTemplateVars {
  const env = scope.deps.env ?? process.env;
  const values: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (!HIDDEN.test(k)) values[k] = v;
  return {
    slipway: templateVars(scope, { sha: checkout.sha, images: [...images], ...(namespace !== undefined ? { namespace } : {}) }),
    values: { ...values, ...buildEnv(scope, { sha: checkout.sha, images: [...images] }), ...imageTemplateValues(images) },
  };
}

/**
 * The plan with its images on the default repo (artifacts, their requires, and the images the
 * tests name, so a custom test's $IMAGE and a structure test's --image are the built ones), and
 * the name the file gives each rewritten one.
 */
export function onDefaultRepo(plan: Plan, defaultRepo: string | undefined): { plan: Plan; written: Map<string, string> } {
  const written = new Map<string, string>();
  if (!defaultRepo) return { plan, written };
  const to = (image: string) => {
    const pushed = substituteDefaultRepo(defaultRepo, image);
    if (pushed !== image) written.set(pushed, image);
    return pushed;
  };
  const artifacts = plan.build.artifacts.map((a) => ({ ...a, image: to(a.image), requires: a.requires.map((r) => ({ ...r, image: to(r.image) })) }));
  const tests = plan.tests.map((t) => (t.kind === 'argv' ? t : { ...t, image: to(t.image) }));
  return { plan: { ...plan, build: { ...plan.build, artifacts }, tests }, written };
}

/** Skaffold's image variables of a rewritten image under the name the file gives it too (IMAGE_REPO_<written>...). */
function writtenImageValues(images: readonly ImageRecord[], written: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const img of images) {
    const name = written.get(img.name);
    if (!name) continue;
    // of one image alone: its variables with the pushed name's suffix, and those without, which get the written name's
    const pushedSuffix = `_${sanitizeImageName(img.name)}`;
    for (const [k, v] of Object.entries(imageTemplateValues([img]))) if (!k.endsWith(pushedSuffix)) out[`${k}_${sanitizeImageName(name)}`] = v;
  }
  return out;
}

/** Rewritten image → the name the file gives it (scope.imageNames without the unchanged ones). */
function writtenNames(scope: BuildScope): Map<string, string> {
  return new Map([...(scope.imageNames ?? new Map<string, string>())].filter(([pushed, name]) => pushed !== name));
}

/**
 * What a plan's deployers get for deploying into `namespace` ({{ .Namespace }}): manifests, charts
 * and templates know a rewritten image by the name the file gives it too.
 */
export function planDeployInputs(scope: BuildScope, checkout: Checkout, images: readonly ImageRecord[], namespace: string): { images: ImageRecord[]; vars: PlanTemplateVars } {
  const written = writtenNames(scope);
  const vars = planVars(scope, checkout, images, namespace);
  vars.values = { ...vars.values, ...writtenImageValues(images, written) };
  return { images: [...images, ...images.filter((i) => written.has(i.name)).map((i) => ({ ...i, name: written.get(i.name)! }))], vars };
}

/** The context of the kubeconfig the runner's kubectl and helm use (their env over the runner's). */
function runnerKubeContext(scope: BuildScope): Promise<string | undefined> {
  const kubeconfig = scope.deps.helm?.env?.KUBECONFIG ?? process.env.KUBECONFIG;
  return currentKubeContext({ ...(kubeconfig ? { kubeconfig } : {}), ...(process.env.HOME ? { home: process.env.HOME } : {}) });
}

/**
 * The plan of the pipeline's skaffold file at the checkout; `command` is the Skaffold command
 * Slipway plays, which profiles' `activation: [{command}]` match: `run` for builds, `dev` for
 * `slipway dev`. `readFiles` is told the config files read (also when they do not make a plan).
 */
export async function loadPlan(scope: BuildScope, checkout: Checkout, command: 'run' | 'dev', readFiles?: (files: readonly string[]) => void): Promise<Plan> {
  const ref = scope.pipeline.skaffold;
  if (!ref) throw new ConfigError('this pipeline has no skaffold file');
  const env = scope.deps.env ?? process.env;
  const res = await loadSkaffold({
    root: checkout.workspace,
    source: ref,
    activation: { env, kubeContext: await runnerKubeContext(scope), command },
    ...(scope.profile ? { branchProfile: scope.profile } : {}),
  });
  readFiles?.(res.files);
  for (const w of res.warnings) scope.line(`warning: ${formatProblem(w)}`);
  if (!res.plan) throw new ConfigError(`${ref.path}${checkout.sha ? ` at ${checkout.sha.slice(0, 7)}` : ''} cannot run`, res.errors);
  const plan = res.plan;
  scope.line(
    `${ref.path}: ${plan.build.artifacts.length} artifacts, ${plan.tests.length} tests, deploys: ${plan.deploys.map((d) => d.kind).join(', ') || 'none'}${plan.profiles.length ? ` (profiles ${plan.profiles.join(', ')})` : ''}`,
  );
  return plan;
}

const at = (where: string | undefined) => (where ? ` (${where})` : '');

/** What a deploy this runner cannot run is told as. */
function unsupportedDeployMessage(d: Extract<PlanDeploy, { kind: 'unsupported' }>): string {
  return d.reason ? `${d.deployer}${at(d.where)}: ${d.reason}` : `the ${d.deployer} deployer${at(d.where)} is not supported by this runner`;
}

/** An artifact this runner builds: a Dockerfile (for one platform at most) or a custom build. */
export interface CheckedArtifact extends Omit<PlanArtifact, 'builder'> {
  builder: Exclude<PlanBuilder, { kind: 'unsupported' }>;
}

/** A test this runner runs; a structure test with the container-structure-test it runs with (found on the steps' PATH). */
export type CheckedTest = Exclude<PlanTest, { kind: 'structure' }> | (Extract<PlanTest, { kind: 'structure' }> & { program: string });

/** A deploy this runner has a deployer for (helm, kubectl). */
export type CheckedDeploy = Exclude<PlanDeploy, { kind: 'unsupported' }>;

/** Only checkPlan makes a CheckedPlan: the stages take nothing else. */
const CHECKED: unique symbol = Symbol('checked plan');

/**
 * A plan this runner can run whole (checkPlan's): no remote configs, no artifact, test or deploy
 * it cannot run. The build, test and deploy stages and the deployers take only this.
 */
export interface CheckedPlan extends Omit<Plan, 'build' | 'tests' | 'deploys' | 'remoteConfigs'> {
  readonly [CHECKED]: true;
  build: Omit<PlanBuild, 'artifacts'> & { artifacts: CheckedArtifact[] };
  tests: CheckedTest[];
  deploys: CheckedDeploy[];
}

/** The artifact as this runner builds it, or why it cannot. */
function checkArtifact(a: PlanArtifact): CheckedArtifact | string {
  if (a.builder.kind === 'unsupported') return `artifact ${a.image}${at(a.where)}: ${a.builder.reason ?? `the ${a.builder.builder} builder is not supported by this runner`}`;
  // A Dockerfile artifact builds for one platform (buildah's --platform) or the runner's; several
  // would need a manifest list and emulation for RUN steps. (A custom build gets them all in $PLATFORMS.)
  if (a.builder.kind === 'dockerfile' && a.platforms.length > 1) {
    return `artifact ${a.image}${at(a.where)}: building for several platforms (${a.platforms.join(', ')}) is not supported by this runner: name one platform, or use a custom build that makes the manifest list ($PLATFORMS)`;
  }
  return { ...a, builder: a.builder };
}

/** The programs a plan's tests need, where the test stage runs them from (looked up once, by runnerTools). */
export interface RunnerTools {
  /** container-structure-test on the steps' PATH; undefined when not installed (or no test needs it). */
  structureTest?: string;
}

export const STRUCTURE_TEST = 'container-structure-test';

/** Looks up what the plan's tests need on the PATH the sandbox gives steps, where the test stage runs them. */
export async function runnerTools(scope: BuildScope, plan: Plan): Promise<RunnerTools> {
  if (!plan.tests.some((t) => t.kind === 'structure')) return {};
  const structureTest = await stepProgram(scope.deps.sandbox ?? bubblewrapSandbox(), STRUCTURE_TEST);
  return structureTest ? { structureTest } : {};
}

/** The test as this runner runs it, or why it cannot. */
function checkTest(t: PlanTest, tools: RunnerTools): CheckedTest | string {
  if (t.kind !== 'structure') return t;
  if (!tools.structureTest) return `${t.name}${at(t.where)}: structureTests need ${STRUCTURE_TEST}, which is not installed on this runner (not on the steps' PATH)`;
  return { ...t, program: tools.structureTest };
}

/** The plan checked, or every problem of it (in the order: requires, artifacts, deploys, tests). */
function sortPlan(plan: Plan, tools: RunnerTools): CheckedPlan | Problem[] {
  const problems: Problem[] = [];
  for (const r of plan.remoteConfigs) {
    problems.push({ message: `requires${at(r.where)}: remote configs (${r.source}) are not supported by this runner: only configs required by a local path are read, and a build needs every config its file requires` });
  }
  const artifacts: CheckedArtifact[] = [];
  for (const a of plan.build.artifacts) {
    const c = checkArtifact(a);
    if (typeof c === 'string') problems.push({ message: c });
    else artifacts.push(c);
  }
  const deploys: CheckedDeploy[] = [];
  for (const d of plan.deploys) {
    if (d.kind === 'unsupported') problems.push({ message: unsupportedDeployMessage(d) });
    else deploys.push(d);
  }
  const tests: CheckedTest[] = [];
  for (const t of plan.tests) {
    const c = checkTest(t, tools);
    if (typeof c === 'string') problems.push({ message: c });
    else tests.push(c);
  }
  if (problems.length) return problems;
  const { remoteConfigs: _none, ...rest } = plan;
  return { ...rest, [CHECKED]: true, build: { ...plan.build, artifacts }, tests, deploys };
}

/**
 * Everything in the plan, as it runs (profiles applied, modules selected), that this runner cannot
 * do: configs required from elsewhere (git, GCS, Cloud Build repositories), artifacts of another
 * builder or needing build secrets or an ssh agent, Dockerfile artifacts for several platforms,
 * deployers other than kubectl and helm, manifests it cannot render (kpt, remote manifests),
 * structure tests without container-structure-test (`tools`, from runnerTools). Each with its file:line.
 */
export function planProblems(plan: Plan, tools: RunnerTools): Problem[] {
  const sorted = sortPlan(plan, tools);
  return Array.isArray(sorted) ? sorted : [];
}

/**
 * The one check of what the runner can run, before anything builds: the build fails whole, naming
 * every problem, instead of half-way. What passes is the plan the stages take.
 */
export function checkPlan(plan: Plan, tools: RunnerTools): CheckedPlan {
  const sorted = sortPlan(plan, tools);
  if (Array.isArray(sorted)) throw new ConfigError('this build needs what this runner does not support (nothing was built):', sorted);
  return sorted;
}

/**
 * checkPlan with the tools the plan's tests need looked up on this runner (runnerTools): what a
 * build or a dev iteration runs. A plan that deploys what it does not push is warned about in the
 * log (once: the plan is checked once per build).
 */
export async function checkedPlan(scope: BuildScope, plan: Plan): Promise<CheckedPlan> {
  const checked = checkPlan(plan, await runnerTools(scope, plan));
  const unpushed = unpushedDeployWarning(checked);
  if (unpushed) scope.line(`warning: ${formatProblem(unpushed)}`);
  return checked;
}

/**
 * The build's plan and the scope its stages run in. A native pipeline's plan is its build, test
 * and deploy sections; a skaffold pipeline's is its file at the checkout, with the images on the
 * pipeline's skaffold.defaultRepo, else the runner's SLIPWAY_DEFAULT_REPO (Skaffold's
 * --default-repo), and the scope knowing each rewritten image by the name the file gives it.
 */
export async function buildPlan(scope: BuildScope, checkout: Checkout): Promise<{ plan: Plan; scope: BuildScope }> {
  const ref = scope.pipeline.skaffold;
  if (!ref) return { plan: planFromPipeline(scope.pipeline), scope };
  const { plan, written } = onDefaultRepo(await loadPlan(scope, checkout, 'run'), ref.defaultRepo || scope.deps.defaultRepo);
  return { plan, scope: written.size ? { ...scope, imageNames: written } : scope };
}
