// A skaffold config, its profiles applied, as a Plan (pipelines/plan.ts): artifacts with their
// builders and requires, the tag policy, tests, and deploys with their deployer. Paths become
// relative to the repository (a required config's paths are relative to its own file).
import path from 'node:path';
import type { Problem } from '../../core/errors.ts';
import {
  DEFAULT_STATUS_CHECK,
  type ManifestSource,
  type Plan,
  type PlanArtifact,
  type PlanDependencies,
  type PlanDeploy,
  type PlanHelmRelease,
  type PlanRemoteConfig,
  type PlanTagPolicy,
  type PlanTest,
} from '../plan.ts';
import type { PathKey } from '../yaml-problems.ts';
import { formatProblemPlace } from './where.ts';
import type { ParsedConfig } from './parse.ts';
import type { HelmRelease, SkaffoldConfig, TagPolicy } from './schema.ts';

/** One config with its profiles applied, and where its file is in the repository. */
export interface ResolvedConfig {
  parsed: ParsedConfig;
  config: SkaffoldConfig;
  /** The config file's folder, relative to the repository ('' at the root). */
  dir: string;
  profiles: string[];
  /** Where each artifact is written (applyProfiles' artifactPlaces); default `build.artifacts[i]`. */
  artifactPlaces?: PathKey[][];
}

const UNSUPPORTED_BUILDERS = ['bazel', 'jib', 'jibMaven', 'jibGradle', 'kaniko', 'buildpacks', 'buildpack', 'ko'] as const;
/** Docker fields a build needs and this runner does not pass on: a plan with such an artifact is refused (checkPlan). */
const NEEDS = ['secrets', 'secret', 'ssh'] as const;

function rebase(dir: string, p: string): string {
  return path.posix.normalize(path.posix.join(dir, p));
}

export function tagPolicy(t: TagPolicy | undefined): PlanTagPolicy {
  if (!t) return { kind: 'gitCommit', variant: 'Tags', prefix: '', ignoreChanges: false };
  if (t.envTemplate) return { kind: 'template', template: t.envTemplate.template };
  if (t.sha256) return { kind: 'sha256' };
  if (t.dateTime) return { kind: 'dateTime', format: t.dateTime.format ?? '2006-01-02_15-04-05.999_MST', timezone: t.dateTime.timezone ?? 'Local' };
  if (t.inputDigest) return { kind: 'inputDigest' };
  if (t.customTemplate) {
    const components: Record<string, PlanTagPolicy> = {};
    for (const c of t.customTemplate.components ?? []) {
      const { name, ...rest } = c;
      components[name] = tagPolicy(rest);
    }
    // Skaffold's defaults: GIT and DATE when the template names them and no component does
    components.GIT ??= tagPolicy(undefined);
    components.DATE ??= tagPolicy({ dateTime: {} });
    return { kind: 'customTemplate', template: t.customTemplate.template, components };
  }
  const g = t.gitCommit ?? {};
  return { kind: 'gitCommit', variant: g.variant ?? 'Tags', prefix: g.prefix ?? '', ignoreChanges: g.ignoreChanges ?? false };
}

function artifacts(rc: ResolvedConfig, problems: Problem[]): PlanArtifact[] {
  return (rc.config.build?.artifacts ?? []).map((a, i) => {
    const where = formatProblemPlace(rc.parsed, rc.artifactPlaces?.[i] ?? ['build', 'artifacts', i]);
    const context = rebase(rc.dir, a.context ?? '.');
    const unsupported = UNSUPPORTED_BUILDERS.find((b) => a[b] !== undefined);
    let builder: PlanArtifact['builder'];
    if (a.custom) {
      if (!a.custom.buildCommand) problems.push({ file: rc.parsed.file, path: `build.artifacts[${i}].custom.buildCommand`, message: `artifact ${a.image}: custom.buildCommand is required` });
      builder = { kind: 'custom', buildCommand: a.custom.buildCommand ?? '', dependencies: a.custom.dependencies ? dependencies(a.custom.dependencies) : { ignore: [] } };
    } else if (unsupported) {
      builder = { kind: 'unsupported', builder: unsupported };
    } else if (a.docker && NEEDS.some((f) => a.docker![f] !== undefined)) {
      // the Dockerfile mounts what these provide (RUN --mount=type=secret / ssh): without them it fails or builds wrong
      const f = NEEDS.find((n) => a.docker![n] !== undefined)!;
      builder = { kind: 'unsupported', builder: 'docker', reason: `docker.${f}: build ${f === 'ssh' ? 'ssh agents' : 'secrets'} are not supported by this runner (not passed to buildah)` };
    } else {
      const d = a.docker ?? {};
      const buildArgs: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(d.buildArgs ?? {})) buildArgs[k] = v;
      builder = {
        kind: 'dockerfile',
        dockerfile: d.dockerfile ?? 'Dockerfile',
        buildArgs,
        ...(d.target ? { target: d.target } : {}),
        ...(d.noCache !== undefined ? { noCache: d.noCache } : {}),
        ...(d.pullParent !== undefined ? { pullParent: d.pullParent } : {}),
      };
    }
    return {
      image: a.image,
      context,
      builder,
      requires: (a.requires ?? []).map((r) => ({ image: r.image, ...(r.alias ? { alias: r.alias } : {}) })),
      platforms: a.platforms ?? rc.config.build?.platforms ?? [],
      where,
    };
  });
}

/** Skaffold's `dependencies` of a custom build or test: its paths, or the whole context when it names a Dockerfile or a command instead. */
function dependencies(d: { paths?: string[] | undefined; ignore?: string[] | undefined; dockerfile?: unknown; command?: string | undefined }): PlanDependencies {
  const ignore = d.ignore ?? [];
  return d.paths && d.dockerfile === undefined && !d.command ? { paths: d.paths, ignore } : { ignore };
}

function tests(rc: ResolvedConfig): PlanTest[] {
  const out: PlanTest[] = [];
  for (const [i, t] of (rc.config.test ?? []).entries()) {
    const workdir = rebase(rc.dir, t.context ?? '.');
    (t.custom ?? []).forEach((c, i) => {
      out.push({
        kind: 'command',
        name: `${t.image} custom[${i}]`,
        image: t.image,
        command: c.command,
        workdir,
        ...(c.timeoutSeconds ? { timeoutSeconds: c.timeoutSeconds } : {}),
        ...(c.dependencies ? { dependencies: dependencies(c.dependencies) } : {}),
      });
    });
    if (t.structureTests?.length) {
      out.push({
        kind: 'structure',
        name: `${t.image} structureTests`,
        image: t.image,
        files: t.structureTests.map((f) => rebase(rc.dir, f)),
        args: t.structureTestsArgs ?? [],
        workdir: rebase(rc.dir, '.'),
        where: formatProblemPlace(rc.parsed, ['test', i, 'structureTests']),
      });
    }
  }
  return out;
}

function release(rc: ResolvedConfig, r: HelmRelease, at: (string | number)[], problems: Problem[]): PlanHelmRelease | undefined {
  if (!r.chartPath) {
    problems.push({ file: rc.parsed.file, path: at.join('.'), message: `release ${r.name}: chartPath is required (remote charts are not supported)` });
    return undefined;
  }
  return {
    name: r.name,
    chartPath: rebase(rc.dir, r.chartPath),
    valuesFiles: (r.valuesFiles ?? []).map((f) => rebase(rc.dir, f)),
    setValues: r.setValues ?? {},
    setValueTemplates: r.setValueTemplates ?? {},
    setStringTemplates: {},
    setFiles: Object.fromEntries(Object.entries(r.setFiles ?? {}).map(([k, f]) => [k, rebase(rc.dir, f)])),
    ...(r.namespace ? { namespace: { value: r.namespace, where: formatProblemPlace(rc.parsed, [...at, 'namespace']) } } : {}),
    wait: r.wait ?? true,
    skipBuildDependencies: r.skipBuildDependencies ?? false,
    replaceImages: true,
  };
}

function deploys(rc: ResolvedConfig, problems: Problem[]): PlanDeploy[] {
  const out: PlanDeploy[] = [];
  const { deploy = {}, manifests = {} } = rc.config;
  const deadline = deploy.statusCheckDeadlineSeconds ?? DEFAULT_STATUS_CHECK.deadlineSeconds;
  const releases: PlanHelmRelease[] = [];
  (manifests.helm?.releases ?? []).forEach((r, i) => {
    const p = release(rc, r, ['manifests', 'helm', 'releases', i], problems);
    if (p) releases.push(p);
  });
  (deploy.helm?.releases ?? []).forEach((r, i) => {
    if (releases.some((x) => x.name === r.name)) return; // the same release, upgraded from v2 into both
    const p = release(rc, r, ['deploy', 'helm', 'releases', i], problems);
    if (p) releases.push(p);
  });
  if (releases.length) out.push({ kind: 'helm', releases, atomic: true, timeout: `${deadline}s` });

  const sources: ManifestSource[] = [];
  if (manifests.rawYaml?.length) sources.push({ kind: 'rawYaml', globs: manifests.rawYaml.map((g) => rebase(rc.dir, g)) });
  for (const k of manifests.kustomize?.paths ?? []) sources.push({ kind: 'kustomize', path: rebase(rc.dir, k), buildArgs: manifests.kustomize?.buildArgs ?? [] });
  const others = (['docker', 'kpt', 'cloudrun'] as const).filter((d) => deploy[d] !== undefined);
  for (const d of others) out.push({ kind: 'unsupported', deployer: d, where: formatProblemPlace(rc.parsed, ['deploy', d]) });
  // manifests this runner cannot render: the rest would deploy without them (half a deploy)
  const unrendered: [at: (string | number)[], present: boolean, reason: string][] = [
    [['manifests', 'kpt'], hasItems(manifests.kpt), 'kpt manifests are not supported by this runner (they would not be deployed)'],
    [['manifests', 'remoteManifests'], hasItems(manifests.remoteManifests), 'remote manifests are not supported by this runner (they would not be deployed)'],
    [['deploy', 'kubectl', 'remoteManifests'], hasItems(deploy.kubectl?.remoteManifests), 'remote manifests are not supported by this runner (they would not be deployed)'],
  ];
  for (const [at, present, reason] of unrendered) if (present) out.push({ kind: 'unsupported', deployer: at.join('.'), where: formatProblemPlace(rc.parsed, at), reason });
  // manifests without a deployer are applied by kubectl, as in Skaffold
  if (sources.length && (deploy.kubectl !== undefined || (releases.length === 0 && others.length === 0))) {
    const f = deploy.kubectl?.flags ?? {};
    // Skaffold's disableValidation: `--validate=false` on the apply
    out.push({ kind: 'kubectl', sources, flags: { global: f.global ?? [], apply: [...(f.apply ?? []), ...(f.disableValidation ? ['--validate=false'] : [])], delete: f.delete ?? [] } });
  }
  return out;
}

/** A list with something in it, or any other value that is set (Skaffold's `[]` is nothing to deploy). */
function hasItems(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : v != null;
}

const REMOTE_SOURCES = ['git', 'googleCloudStorage', 'googleCloudBuildRepoV2'] as const;

/** The requires entries of a config that name a config outside the repository, with their place. */
function remoteConfigs(rc: ResolvedConfig): PlanRemoteConfig[] {
  return (rc.config.requires ?? []).flatMap((r, i) => {
    const source = REMOTE_SOURCES.find((s) => r[s] !== undefined);
    return source ? [{ source, where: formatProblemPlace(rc.parsed, ['requires', i]) }] : [];
  });
}

/** The plan of the configs, in order (required configs before those requiring them). */
export function planFromSkaffold(configs: ResolvedConfig[], warnings: Problem[]): { plan: Plan; errors: Problem[] } {
  const errors: Problem[] = [];
  const all = configs.flatMap((rc) => artifacts(rc, errors));
  const seen = new Set<string>();
  for (const a of all) {
    if (seen.has(a.image)) errors.push({ message: `artifact ${a.image} is defined twice (again at ${a.where ?? 'a required config'})` });
    seen.add(a.image);
  }
  for (const a of all) {
    for (const r of a.requires) if (!seen.has(r.image)) errors.push({ message: `artifact ${a.image} requires ${r.image}, which no config builds` });
  }
  const first = configs.find((rc) => rc.config.build?.tagPolicy) ?? configs[0];
  const local = configs.find((rc) => rc.config.build?.local)?.config.build?.local;
  const deploySection = configs.find(
    (rc) => rc.config.deploy?.statusCheckDeadlineSeconds !== undefined || rc.config.deploy?.statusCheck != null || rc.config.deploy?.tolerateFailuresUntilDeadline !== undefined,
  )?.config.deploy;
  const concurrency = local?.concurrency ?? 1;
  const kubectl = configs.flatMap((rc) => deploys(rc, errors));
  // one kubectl deploy for every config's manifests: they apply, wait and roll back as one
  const merged: PlanDeploy[] = [];
  for (const d of kubectl) {
    const prev = merged.find((m) => m.kind === 'kubectl');
    if (d.kind === 'kubectl' && prev?.kind === 'kubectl') prev.sources.push(...d.sources);
    else merged.push(d);
  }
  return {
    errors,
    plan: {
      build: {
        artifacts: all,
        tagPolicy: tagPolicy(first?.config.build?.tagPolicy),
        push: local?.push ?? true,
        concurrency: concurrency === 0 ? Math.max(1, all.length) : concurrency,
        timeout: '30m',
        cli: 'buildah',
        cache: true,
      },
      tests: configs.flatMap(tests),
      deploys: merged,
      statusCheck: {
        enabled: deploySection?.statusCheck ?? true,
        deadlineSeconds: deploySection?.statusCheckDeadlineSeconds ?? DEFAULT_STATUS_CHECK.deadlineSeconds,
        tolerateFailuresUntilDeadline: deploySection?.tolerateFailuresUntilDeadline ?? false,
      },
      profiles: [...new Set(configs.flatMap((rc) => rc.profiles))],
      remoteConfigs: configs.flatMap(remoteConfigs),
      warnings,
    },
  };
}
