// The plan of one build: what to build, how to tag it, what to test, what to deploy with which
// deployer. A native pipeline (planFromPipeline) and a repository's skaffold.yaml
// (skaffold/plan.ts) are two ways of writing it; the runner's stages (runner/stages/build.ts,
// test.ts, deploy.ts) and `slipway dev` execute plans and never ask which file a plan came from.
// Paths are relative to the repository root. Template strings (buildArgs, the tag template,
// valuesFiles, setValueTemplates, setStringTemplates) are rendered by plan-template.ts, which
// knows both vocabularies ({{ .BuildNumber }} and Skaffold's {{.IMAGE_REPO_app}}, env vars).
import type { Problem } from '../core/errors.ts';
import type { Pipeline } from './schema.ts';

export type GitVariant = 'Tags' | 'CommitSha' | 'AbbrevCommitSha' | 'TreeSha' | 'AbbrevTreeSha';

export type PlanTagPolicy =
  | { kind: 'template'; template: string }
  | { kind: 'gitCommit'; variant: GitVariant; prefix: string; ignoreChanges: boolean }
  | { kind: 'sha256' }
  | { kind: 'dateTime'; format: string; timezone: string }
  | { kind: 'inputDigest' }
  /** Components are tag policies whose results the template names ({{.GIT}}). */
  | { kind: 'customTemplate'; template: string; components: Record<string, PlanTagPolicy> };

export type PlanBuilder =
  /** A Dockerfile build with the runner's builder CLI (buildah unless the pipeline names another). */
  | { kind: 'dockerfile'; dockerfile: string; buildArgs: Record<string, string | null>; target?: string; noCache?: boolean; pullParent?: boolean }
  /** Skaffold's custom builder: a command run in the context with $IMAGE, $PUSH_IMAGE, $BUILD_CONTEXT... */
  | { kind: 'custom'; buildCommand: string; dependencies: PlanDependencies }
  /**
   * Known but not run here (jib, bazel, ko, buildpacks, kaniko; a Dockerfile build that needs build
   * secrets or an ssh agent): checkPlan refuses the plan, naming the artifact and `reason` when there is one.
   */
  | { kind: 'unsupported'; builder: string; reason?: string };

/**
 * The files a custom build or test depends on (Skaffold's `dependencies`), which `slipway dev`
 * watches: globs relative to its context, less `ignore`. `paths` undefined: every file of the
 * context (a dependency `dockerfile` or `command`, which Slipway does not evaluate, or none given
 * to a custom build).
 */
export interface PlanDependencies {
  paths?: string[];
  ignore: string[];
}

export interface PlanArtifact {
  /** Image name without tag. */
  image: string;
  /** Build context, relative to the repository. */
  context: string;
  builder: PlanBuilder;
  /** Artifacts built first; the alias names the build arg that gets the required image's full reference. */
  requires: { image: string; alias?: string }[];
  platforms: string[];
  /** Where it is written (file:line), for messages. */
  where?: string;
}

export interface PlanBuild {
  artifacts: PlanArtifact[];
  tagPolicy: PlanTagPolicy;
  /** Push the images (false: Skaffold's local.push: false; the images stay in the runner's storage). */
  push: boolean;
  /** Artifacts built at once; independent ones only (requires come first). */
  concurrency: number;
  /** A duration such as 30m. */
  timeout: string;
  /** The builder CLI for dockerfile artifacts. */
  cli: 'docker' | 'buildah' | 'buildkit' | 'kaniko';
  /** Reuse the image of an artifact whose inputs are unchanged (a native pipeline's build.cache; false always builds). */
  cache: boolean;
}

export type PlanTest =
  /** An argv run in the checkout (a native test step). */
  | { kind: 'argv'; name: string; argv: string[]; workdir: string; env: Record<string, string>; secretEnv?: Record<string, { env: string }>; timeout: string }
  /** Skaffold's custom test: a command line, run by `sh -c` in the context with $IMAGE. */
  | { kind: 'command'; name: string; image: string; command: string; workdir: string; timeoutSeconds?: number; dependencies?: PlanDependencies }
  /** container-structure-test over an image with the given config files. */
  | { kind: 'structure'; name: string; image: string; files: string[]; args: string[]; workdir: string; where?: string };

export interface PlanHelmRelease {
  name: string;
  chartPath: string;
  valuesFiles: string[];
  /** Literal values, passed typed (--set), as Skaffold does. */
  setValues: Record<string, string>;
  /** Values whose templates see the images (IMAGE_REPO_x, IMAGE_TAG_x...), passed typed (--set). */
  setValueTemplates: Record<string, string>;
  /** Values whose templates see the build and its images, passed as strings (--set-string): a native pipeline's setValues. */
  setStringTemplates: Record<string, string>;
  setFiles: Record<string, string>;
  /** A namespace the release names (an error unless it is the environment's), and where. */
  namespace?: { value: string; where: string };
  wait: boolean;
  skipBuildDependencies: boolean;
  /** Run the image replacement over the rendered chart (helm --post-renderer). */
  replaceImages: boolean;
}

export type ManifestSource =
  /** Globs relative to the repository. */
  | { kind: 'rawYaml'; globs: string[] }
  /** A folder with a kustomization, rendered by `kubectl kustomize`. */
  | { kind: 'kustomize'; path: string; buildArgs: string[] };

export interface KubectlFlags {
  global: string[];
  apply: string[];
  delete: string[];
}

export type PlanDeploy =
  | { kind: 'helm'; releases: PlanHelmRelease[]; atomic: boolean; timeout: string }
  | { kind: 'kubectl'; sources: ManifestSource[]; flags: KubectlFlags }
  /**
   * What this runner does not deploy: another deployer (docker, kpt, Cloud Run), or manifests it
   * cannot render (`reason` set: kpt manifests, remote manifests). A plan with one is refused before
   * anything builds (checkPlan, runner/stages/plan.ts, whose CheckedPlan has none): deploying the
   * rest would be half a deploy.
   */
  | { kind: 'unsupported'; deployer: string; where?: string; reason?: string };

export interface PlanStatusCheck {
  enabled: boolean;
  deadlineSeconds: number;
  /** Keep waiting after a failing pod until the deadline (it may recover). */
  tolerateFailuresUntilDeadline: boolean;
}

/**
 * A config the plan's file requires from outside the repository (Skaffold's `requires[].git`,
 * `googleCloudStorage`, `googleCloudBuildRepoV2`): a required config is part of every run of the
 * configs requiring it, and this runner does not fetch them, so a plan with one cannot run.
 */
export interface PlanRemoteConfig {
  source: 'git' | 'googleCloudStorage' | 'googleCloudBuildRepoV2';
  /** Where the requires entry is written (file:line). */
  where: string;
}

export interface Plan {
  build: PlanBuild;
  tests: PlanTest[];
  deploys: PlanDeploy[];
  statusCheck: PlanStatusCheck;
  /** Skaffold profiles applied (empty for native pipelines). */
  profiles: string[];
  /** Remote configs the active configs require (empty for native pipelines). */
  remoteConfigs: PlanRemoteConfig[];
  /** Fields read but not run, each with its place. */
  warnings: Problem[];
}

/**
 * The warning of a plan that deploys images it does not push (Skaffold's local.push: false): they
 * stay in the runner's image storage, and the deploy names them as built, which a cluster
 * cannot pull unless it already has them (Skaffold loads such images into a local kind or
 * minikube cluster; Slipway does not). Undefined when the plan pushes, builds or deploys nothing.
 */
export function unpushedDeployWarning(plan: Pick<Plan, 'build' | 'deploys' | 'profiles'>): Problem | undefined {
  if (plan.build.push || plan.build.artifacts.length === 0 || plan.deploys.length === 0) return undefined;
  const images = plan.build.artifacts.map((a) => a.image);
  const [verb, them] = images.length === 1 ? ['is', 'it'] : ['are', 'them'];
  const profiles = plan.profiles.length ? ` (profile${plan.profiles.length === 1 ? '' : 's'} ${plan.profiles.join(', ')})` : '';
  return {
    message: `build.local.push is false${profiles}: ${images.join(', ')} ${verb} not pushed, and the deploy names ${them}; the cluster must already have ${them} (Slipway does not load images into a cluster)`,
  };
}

export const DEFAULT_STATUS_CHECK: PlanStatusCheck = { enabled: true, deadlineSeconds: 600, tolerateFailuresUntilDeadline: false };

/** A native pipeline's deploys are checked by helm's own --wait alone, within deploy.helm.timeout (no pod watch stopping helm early). */
const NATIVE_STATUS_CHECK: PlanStatusCheck = { ...DEFAULT_STATUS_CHECK, enabled: false };

function nativeTagPolicy(p: Pipeline['build']['tagPolicy']): PlanTagPolicy {
  if ('template' in p) return { kind: 'template', template: p.template };
  if ('gitCommit' in p) return { kind: 'gitCommit', variant: p.gitCommit.variant, prefix: '', ignoreChanges: false };
  if ('dateTime' in p) return { kind: 'dateTime', format: p.dateTime.format, timezone: p.dateTime.timezone };
  return { kind: 'inputDigest' };
}

/** The plan of a native pipeline (its branch profile already applied). */
export function planFromPipeline(pipeline: Pipeline): Plan {
  const { build } = pipeline;
  const helm = pipeline.deploy.helm;
  return {
    build: {
      artifacts: build.artifacts.map((a) => ({
        image: a.image,
        context: a.context,
        builder: { kind: 'dockerfile', dockerfile: a.docker.dockerfile, buildArgs: a.docker.buildArgs, ...(a.docker.target ? { target: a.docker.target } : {}) },
        requires: [],
        platforms: [],
      })),
      tagPolicy: nativeTagPolicy(build.tagPolicy),
      push: true,
      concurrency: build.concurrency,
      timeout: build.timeout,
      cli: build.builder,
      cache: build.cache,
    },
    tests: pipeline.test.map((t) => ({
      kind: 'argv',
      name: t.name,
      argv: t.run,
      workdir: t.workdir,
      env: t.env,
      ...(t.secretEnv ? { secretEnv: t.secretEnv } : {}),
      timeout: t.timeout,
    })),
    deploys: helm
      ? [
          {
            kind: 'helm',
            atomic: helm.atomic,
            timeout: helm.timeout,
            releases: helm.releases.map((r) => ({
              name: r.name,
              chartPath: r.chartPath,
              valuesFiles: r.valuesFiles,
              setValues: {},
              setValueTemplates: {},
              setStringTemplates: r.setValues,
              setFiles: {},
              wait: true,
              skipBuildDependencies: true,
              replaceImages: false,
            })),
          },
        ]
      : [],
    statusCheck: NATIVE_STATUS_CHECK,
    profiles: [],
    remoteConfigs: [],
    warnings: [],
  };
}
