// The stages of a pipeline whose build, test and deploy come from the repository's skaffold.yaml:
// the file is read from the checkout into a Plan (pipelines/skaffold/), then its artifacts are
// built (required ones first, independent ones in parallel; Dockerfile builds through the
// runner's builder, custom builds as Skaffold runs them, in the runner's sandbox), its tests run, and its deploys go
// through the deploy stage with the plan's deployers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, formatProblem, type Problem } from '../../core/errors.ts';
import type { ImageRecord } from '../../core/records.ts';
import type { GitVariant, Plan, PlanArtifact } from '../../pipelines/plan.ts';
import type { PlanTemplateVars } from '../../pipelines/plan-template.ts';
import { substituteDefaultRepo } from '../../pipelines/default-repo.ts';
import { sanitizeImageName } from '../../pipelines/skaffold/upgrade.ts';
import { renderPlanTemplate } from '../../pipelines/plan-template.ts';
import { loadSkaffold } from '../../pipelines/skaffold/load.ts';
import { builderAccessFromEnv, ensureStorage } from '../builder-access.ts';
import { builderFor } from '../builders/builder-for.ts';
import { buildWithRequires } from '../builders/requires.ts';
import { isLoopbackRegistry } from '../builders/types.ts';
import { imageTemplateValues } from '../deployers/image-values.ts';
import { currentKubeContext } from '../kube-context.ts';
import { computePlanTag } from '../plan-tags.ts';
import type { RegistryClient } from '../registry/registry-client.ts';
import { resolveInside } from '../workspace-path.ts';
import { buildOrReuse, registryFor, runBuild } from './build.ts';
import { runSandboxed } from './sandboxed.ts';
import { runStep } from './test.ts';
import { buildEnv, templateVars } from './template-vars.ts';
import type { BuildScope, Checkout } from './types.ts';

/** Runner variables a skaffold template must not see (they could end up in tags, build args, values). */
const HIDDEN = /^SLIPWAY_|TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|API_?KEY|AUTH/i;

/** What plan templates see: Slipway's variables, the runner's environment (minus secrets), the build's and the images'. */
export function planVars(scope: BuildScope, checkout: Checkout, images: readonly ImageRecord[] = []): PlanTemplateVars {
  const env = scope.deps.env ?? process.env;
  const values: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (!HIDDEN.test(k)) values[k] = v;
  return {
    slipway: templateVars(scope, { sha: checkout.sha, images: [...images] }),
    values: { ...values, ...buildEnv(scope, { sha: checkout.sha, images: [...images] }), ...imageTemplateValues(images) },
  };
}

/** The plan with its images on the default repo, and the name the file gives each rewritten one. */
export function onDefaultRepo(plan: Plan, defaultRepo: string | undefined): { plan: Plan; written: Map<string, string> } {
  const written = new Map<string, string>();
  if (!defaultRepo) return { plan, written };
  const to = (image: string) => {
    const pushed = substituteDefaultRepo(defaultRepo, image);
    if (pushed !== image) written.set(pushed, image);
    return pushed;
  };
  const artifacts = plan.build.artifacts.map((a) => ({ ...a, image: to(a.image), requires: a.requires.map((r) => ({ ...r, image: to(r.image) })) }));
  return { plan: { ...plan, build: { ...plan.build, artifacts } }, written };
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

/** What a plan's deployers get: manifests, charts and templates know a rewritten image by the name the file gives it too. */
export function planDeployInputs(scope: BuildScope, checkout: Checkout, images: readonly ImageRecord[]): { images: ImageRecord[]; vars: PlanTemplateVars } {
  const written = writtenNames(scope);
  const vars = planVars(scope, checkout, images);
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
 * Slipway plays, which profiles' `activation: [{command}]` match: `run` for builds, `dev` for `slipway dev`.
 */
export async function loadPlan(scope: BuildScope, checkout: Checkout, command: 'run' | 'dev'): Promise<Plan> {
  const ref = scope.pipeline.skaffold;
  if (!ref) throw new ConfigError('this pipeline has no skaffold file');
  const env = scope.deps.env ?? process.env;
  const res = await loadSkaffold({
    root: checkout.workspace,
    source: ref,
    activation: { env, kubeContext: await runnerKubeContext(scope), command },
    ...(scope.profile ? { branchProfile: scope.profile } : {}),
  });
  for (const w of res.warnings) scope.line(`warning: ${formatProblem(w)}`);
  if (!res.plan) throw new ConfigError(`${ref.path}${checkout.sha ? ` at ${checkout.sha.slice(0, 7)}` : ''} cannot run`, res.errors);
  const plan = res.plan;
  scope.line(
    `${ref.path}: ${plan.build.artifacts.length} artifacts, ${plan.tests.length} tests, deploys: ${plan.deploys.map((d) => d.kind).join(', ') || 'none'}${plan.profiles.length ? ` (profiles ${plan.profiles.join(', ')})` : ''}`,
  );
  return plan;
}

async function gitFact(scope: BuildScope, checkout: Checkout, context: string, variant: GitVariant): Promise<string> {
  const git = (...args: string[]) => scope.run(['git', '-C', checkout.workspace, ...args], { onLine: () => undefined }).then((r) => r.stdout.trim());
  const rel = path.relative(checkout.workspace, context).split(path.sep).join('/');
  switch (variant) {
    case 'Tags':
      return git('describe', '--tags', '--always');
    case 'CommitSha':
      return checkout.sha;
    case 'AbbrevCommitSha':
      return checkout.sha.slice(0, 7);
    case 'TreeSha':
      return git('rev-parse', `HEAD:${rel}`);
    case 'AbbrevTreeSha':
      return (await git('rev-parse', `HEAD:${rel}`)).slice(0, 7);
  }
}

async function buildOne(
  scope: BuildScope,
  checkout: Checkout,
  plan: Plan,
  a: PlanArtifact,
  required: ReadonlyMap<string, ImageRecord>,
  digestFile: string,
  registry: RegistryClient,
): Promise<ImageRecord> {
  // refused by checkPlan before anything builds; this narrows the type
  if (a.builder.kind === 'unsupported') throw new ConfigError(artifactProblem(a)!);
  const context = resolveInside(checkout.workspace, a.context, `artifact ${a.image} context`);
  const vars = planVars(scope, checkout, [...required.values()]);
  const tag = await computePlanTag({ policy: plan.build.tagPolicy, vars, context, git: (v) => gitFact(scope, checkout, context, v) });
  const ref = `${a.image}:${tag}`;
  const requiredRef = (img: ImageRecord) => (img.digest ? img.ref : `${img.name}:${img.tag}`);
  const { push } = plan.build;

  if (a.builder.kind === 'custom') {
    const b = a.builder;
    scope.line(`building ${ref} with: ${b.buildCommand}`);
    // sandboxed in builder mode: the workspace, the image storage and the push credentials, nothing else of the runner
    const access = builderAccessFromEnv(scope.deps.env ?? process.env);
    await ensureStorage(access);
    await runSandboxed(scope, {
      argv: ['sh', '-c', b.buildCommand],
      workspace: checkout.workspace,
      cwd: context,
      mirror: checkout.mirror,
      builder: access,
      env: {
        ...buildEnv(scope, { sha: checkout.sha, images: [...required.values()] }),
        IMAGE: ref,
        PUSH_IMAGE: String(push),
        BUILD_CONTEXT: context,
        PLATFORMS: a.platforms.join(','),
        SKIP_TEST: 'false',
        ...Object.fromEntries(a.requires.filter((r) => r.alias).map((r) => [r.alias!, requiredRef(required.get(r.image)!)])),
      },
    });
    // a custom build pushes by itself: its digest is read from the registry (the runner's credentials)
    const digest = push ? (await registry.headManifest(a.image, tag, scope.signal))?.digest : '';
    if (digest === undefined) throw new ConfigError(`cannot read the digest of ${ref} from its registry`);
    if (push) scope.line(`pushed ${ref}@${digest}`);
    return { name: a.image, ref: push ? `${ref}@${digest}` : ref, tag, digest };
  }

  const d = a.builder;
  const buildArgs: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.buildArgs)) {
    // Skaffold: a build arg without a value takes the environment variable of its name
    const value = v === null ? vars.values[k] : renderPlanTemplate(v, vars);
    if (value !== undefined) buildArgs[k] = value;
  }
  for (const r of a.requires) if (r.alias) buildArgs[r.alias] = requiredRef(required.get(r.image)!);
  const builder = builderFor(plan.build.cli);
  const input = {
    context,
    dockerfile: resolveInside(context, d.dockerfile, `artifact ${a.image} dockerfile`),
    ref,
    buildArgs,
    ...(d.target ? { target: d.target } : {}),
    ...(a.platforms.length === 1 ? { platform: a.platforms[0]! } : {}),
    digestFile,
    insecureRegistry: isLoopbackRegistry(a.image),
  };
  if (push) {
    const requires = a.requires.map((r) => ({ image: r.image, digest: required.get(r.image)!.digest }));
    return buildOrReuse(scope, builder, { artifact: { image: a.image, context: a.context, docker: { dockerfile: d.dockerfile, buildArgs } }, tag, input }, registry, requires);
  }
  scope.line(`building ${ref} (local.push: false: not pushed)`);
  await runBuild(scope, builder, input);
  return { name: a.image, ref, tag, digest: '' };
}

const at = (where: string | undefined) => (where ? ` (${where})` : '');

/** Why this runner cannot build `a`, or undefined when it can. */
function artifactProblem(a: PlanArtifact): string | undefined {
  if (a.builder.kind === 'unsupported') return `artifact ${a.image}${at(a.where)}: ${a.builder.reason ?? `the ${a.builder.builder} builder is not supported by this runner`}`;
  // A Dockerfile artifact builds for one platform (buildah's --platform) or the runner's; several
  // would need a manifest list and emulation for RUN steps. (A custom build gets them all in $PLATFORMS.)
  if (a.builder.kind === 'dockerfile' && a.platforms.length > 1) {
    return `artifact ${a.image}${at(a.where)}: building for several platforms (${a.platforms.join(', ')}) is not supported by this runner: name one platform, or use a custom build that makes the manifest list ($PLATFORMS)`;
  }
  return undefined;
}

/**
 * Everything in the plan, as it runs (profiles applied, modules selected), that this runner cannot
 * do: configs required from elsewhere (git, GCS, Cloud Build repositories), artifacts of another
 * builder or needing build secrets or an ssh agent, Dockerfile artifacts for several platforms,
 * deployers other than kubectl and helm. Each with its file:line.
 */
export function planProblems(plan: Plan): Problem[] {
  const problems: Problem[] = [];
  for (const r of plan.remoteConfigs) {
    problems.push({ message: `requires${at(r.where)}: remote configs (${r.source}) are not supported by this runner: only configs required by a local path are read, and a build needs every config its file requires` });
  }
  for (const a of plan.build.artifacts) {
    const problem = artifactProblem(a);
    if (problem) problems.push({ message: problem });
  }
  for (const d of plan.deploys) if (d.kind === 'unsupported') problems.push({ message: `the ${d.deployer} deployer${at(d.where)} is not supported by this runner` });
  return problems;
}

/** The one check of what the runner can run, before anything builds: the build fails whole, naming every problem, instead of half-way. */
export function checkPlan(plan: Plan): void {
  const problems = planProblems(plan);
  if (problems.length) throw new ConfigError('this build needs what this runner does not support (nothing was built):', problems);
}

export async function planBuildStage(scope: BuildScope, checkout: Checkout, plan: Plan): Promise<{ images: ImageRecord[] }> {
  checkPlan(plan);
  if (plan.build.artifacts.length === 0) return { images: [] };
  const scratch = await mkdtemp(path.join(tmpdir(), 'slipway-digest-'));
  try {
    let n = 0;
    const registry = registryFor(scope);
    const images = await buildWithRequires<ImageRecord>(plan.build.artifacts, plan.build.concurrency, (a, required) =>
      buildOne(scope, checkout, plan, a, required, path.join(scratch, `digest-${n++}`), registry),
    );
    await scope.update((r) => ({ ...r, images }));
    return { images };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function planTestStage(scope: BuildScope, checkout: Checkout, plan: Plan, images: readonly ImageRecord[]): Promise<{ steps: string[] }> {
  const buildVars = buildEnv(scope, { sha: checkout.sha, images: [...images] });
  const refOf = (image: string) => images.find((i) => i.name === image)?.ref ?? image;
  const steps: string[] = [];
  for (const t of plan.tests) {
    if (t.kind === 'argv') {
      await runStep(scope, checkout, { name: t.name, run: t.argv, workdir: t.workdir, env: t.env, ...(t.secretEnv ? { secretEnv: t.secretEnv } : {}), timeout: t.timeout }, buildVars);
    } else if (t.kind === 'command') {
      await runStep(scope, checkout, { name: t.name, run: ['sh', '-c', t.command], workdir: t.workdir, env: { IMAGE: refOf(t.image) }, timeout: t.timeoutSeconds ? `${t.timeoutSeconds}s` : '10m' }, buildVars);
    } else {
      const argv = ['container-structure-test', 'test', '--image', refOf(t.image), ...t.files.flatMap((f) => ['--config', f]), ...t.args];
      await runStep(scope, checkout, { name: t.name, run: argv, workdir: t.workdir, env: {}, timeout: '10m' }, buildVars).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || /ENOENT|spawn container-structure-test/.test(String(err))) {
          throw new ConfigError(`${t.name}: structureTests need container-structure-test, which is not installed on this runner`);
        }
        throw err;
      });
    }
    steps.push(t.name);
  }
  return { steps };
}
