// The skaffold.yaml schema versions Slipway reads, oldest first, and the fields that changed
// between them (a field used in a version that does not have it is an unknown-key error, as
// Skaffold's strict parse of that version makes it). The bounds come from reading Skaffold's
// pkg/skaffold/schema/<version>/config.go (the structs its JSON schemas docs/content/en/schemas/
// and docs-v2/content/en/schemas/ are generated from; a field tagged `yaml:"-"` is not in the
// schema) at v1beta11, v1beta15, v2beta10, v2beta12, v2beta15, v2beta20, v2beta22, v2beta25,
// v2beta27, v2beta29, v3alpha1, v3, v4beta3, v4beta5, v4beta6, v4beta10 and v4beta13. There is no
// skaffold/v3beta1: v3alpha1 upgrades to v3, v3 to v4beta1. `docker.cacheTo` is bounded by the
// generated schemas docs-v2/content/en/schemas/v4beta12.json (DockerArtifact without it) and
// v4beta13.json (with it); the v4beta14 JSON schema's DockerArtifact, Artifact, BuildConfig,
// LocalBuild, KubectlDeploy, HelmRelease, Kustomize, Profile, Activation and TestCase have no
// property Slipway's schema (schema.ts) lacks.
// Not in the table, since no version's file may have them: `deploy.transformableAllowList` (tagged
// `yaml:"-"` from v3alpha1 on, read in v3alpha1, v4beta1 and v4beta13; not in v2beta29's
// DeployConfig nor in the v4beta14 JSON schema) and `manifests.kustomize.hydrationDir` (Kustomize
// has only `paths` and `buildArgs` in v3alpha1, v4beta13 and the v4beta14 JSON schema): both are
// unknown keys in every version, as in Skaffold's strict parse.

const range = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `skaffold/${prefix}${from + i}`);

export const VERSIONS: readonly string[] = [
  ...range('v1beta', 11, 17),
  ...range('v2alpha', 1, 4),
  ...range('v2beta', 1, 29),
  'skaffold/v3alpha1',
  'skaffold/v3',
  ...range('v4beta', 1, 14),
];

export const LATEST = VERSIONS[VERSIONS.length - 1]!;

/** The index of a version in VERSIONS, or -1 when Slipway does not read it. */
export function versionIndex(apiVersion: string): number {
  return VERSIONS.indexOf(apiVersion);
}

export function isBefore(apiVersion: string, other: string): boolean {
  return versionIndex(apiVersion) < versionIndex(other);
}

/** v3alpha1 split rendering (`manifests`) from deploying (`deploy`). */
export function isV1Layout(apiVersion: string): boolean {
  return isBefore(apiVersion, 'skaffold/v3alpha1');
}

/**
 * A field that not every schema version Slipway reads has: `since` is the first version that may
 * have it, `until` the first that may no longer have it. Where Skaffold's schemas were read on both
 * sides of a change the bound is exact (`exact`); elsewhere it is the lenient end of the range the
 * schemas pin down (a valid file is never refused; a file a little older than the true bound may
 * pass), and `seen` names a version read to have the field, `gone` one read not to have it any more.
 * Paths use `*` for any list index; the same paths inside `profiles[*]` are checked too.
 */
export interface FieldVersion {
  path: string;
  since?: string;
  until?: string;
  exact?: boolean;
  seen?: string;
  gone?: string;
}

const EXACT = true;

/** The one table of fields that changed across versions (the layout split at v3alpha1 is schema.ts's). */
export const FIELD_VERSIONS: readonly FieldVersion[] = [
  // top level
  { path: 'portForward', since: 'skaffold/v1beta12', exact: EXACT },
  { path: 'metadata', since: 'skaffold/v1beta13', seen: 'skaffold/v1beta14' },
  { path: 'metadata.labels', since: 'skaffold/v3alpha1', exact: EXACT },
  { path: 'metadata.annotations', since: 'skaffold/v3alpha1', exact: EXACT },
  { path: 'requires', since: 'skaffold/v2beta11', exact: EXACT },
  { path: 'requires[*].googleCloudStorage', since: 'skaffold/v4beta7', seen: 'skaffold/v4beta10' },
  { path: 'requires[*].googleCloudBuildRepoV2', since: 'skaffold/v4beta7', seen: 'skaffold/v4beta10' },
  { path: 'resourceSelector', since: 'skaffold/v2beta23', seen: 'skaffold/v2beta29' },
  { path: 'verify', since: 'skaffold/v3alpha1', exact: EXACT },
  { path: 'customActions', since: 'skaffold/v4beta4', seen: 'skaffold/v4beta6' },
  // profiles (the path is the profile's own field: `profiles[*].requiresAllActivations`)
  { path: 'profiles[*].requiresAllActivations', since: 'skaffold/v3alpha1', exact: EXACT },
  // build
  { path: 'build.hooks', since: 'skaffold/v4beta7', seen: 'skaffold/v4beta10' },
  { path: 'build.platforms', since: 'skaffold/v2beta27', exact: EXACT },
  { path: 'build.artifacts[*].platforms', since: 'skaffold/v2beta27', seen: 'skaffold/v2beta27' },
  { path: 'build.artifacts[*].requires', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta10' },
  { path: 'build.artifacts[*].hooks', since: 'skaffold/v2beta11', seen: 'skaffold/v2beta20' },
  { path: 'build.artifacts[*].runtimeType', since: 'skaffold/v4beta1', seen: 'skaffold/v4beta14' },
  { path: 'build.artifacts[*].jib', since: 'skaffold/v1beta12', seen: 'skaffold/v2beta10' },
  { path: 'build.artifacts[*].jibMaven', until: 'skaffold/v2beta10', gone: 'skaffold/v2beta10' },
  { path: 'build.artifacts[*].jibGradle', until: 'skaffold/v2beta10', gone: 'skaffold/v2beta10' },
  { path: 'build.artifacts[*].buildpacks', since: 'skaffold/v1beta12', seen: 'skaffold/v2beta10' },
  { path: 'build.artifacts[*].ko', since: 'skaffold/v2beta23', seen: 'skaffold/v2beta25' },
  { path: 'build.artifacts[*].docker.ssh', since: 'skaffold/v1beta12', seen: 'skaffold/v2beta10' },
  { path: 'build.artifacts[*].docker.secret', since: 'skaffold/v1beta12', seen: 'skaffold/v2beta10', until: 'skaffold/v2beta25', gone: 'skaffold/v2beta25' },
  { path: 'build.artifacts[*].docker.squash', since: 'skaffold/v2beta11', seen: 'skaffold/v2beta12' },
  { path: 'build.artifacts[*].docker.addHost', since: 'skaffold/v2beta13', seen: 'skaffold/v2beta15' },
  { path: 'build.artifacts[*].docker.cliFlags', since: 'skaffold/v2beta21', seen: 'skaffold/v2beta22' },
  { path: 'build.artifacts[*].docker.secrets', since: 'skaffold/v2beta23', seen: 'skaffold/v2beta25' },
  { path: 'build.artifacts[*].docker.pullParent', since: 'skaffold/v2beta26', seen: 'skaffold/v2beta27' },
  { path: 'build.artifacts[*].docker.cacheTo', since: 'skaffold/v4beta13', exact: EXACT },
  { path: 'build.local.concurrency', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta1' },
  { path: 'build.local.tryImportMissing', since: 'skaffold/v2beta7', seen: 'skaffold/v2beta9' },
  { path: 'build.tagPolicy.customTemplate', since: 'skaffold/v2beta2', seen: 'skaffold/v2beta6' },
  { path: 'build.tagPolicy.inputDigest', since: 'skaffold/v2beta12', seen: 'skaffold/v2beta20' },
  { path: 'build.tagPolicy.customTemplate.components[*].inputDigest', since: 'skaffold/v2beta12', seen: 'skaffold/v2beta20' },
  { path: 'build.tagPolicy.gitCommit.prefix', since: 'skaffold/v2beta2', seen: 'skaffold/v2beta6' },
  { path: 'build.tagPolicy.gitCommit.ignoreChanges', since: 'skaffold/v2beta11', exact: EXACT },
  // test
  { path: 'test[*].custom', since: 'skaffold/v2beta13', seen: 'skaffold/v2beta15' },
  { path: 'test[*].context', since: 'skaffold/v2beta13', seen: 'skaffold/v2beta15' },
  { path: 'test[*].structureTestsArgs', since: 'skaffold/v2beta16', seen: 'skaffold/v2beta20' },
  // deploy
  { path: 'deploy.statusCheckDeadlineSeconds', since: 'skaffold/v1beta13', seen: 'skaffold/v1beta14' },
  { path: 'deploy.kubeContext', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta1' },
  { path: 'deploy.logs', since: 'skaffold/v2beta2', seen: 'skaffold/v2beta6' },
  { path: 'deploy.statusCheck', since: 'skaffold/v2beta16', seen: 'skaffold/v2beta20' },
  { path: 'deploy.tolerateFailuresUntilDeadline', since: 'skaffold/v4beta1', seen: 'skaffold/v4beta13' },
  { path: 'deploy.kpt', since: 'skaffold/v1beta12', seen: 'skaffold/v2beta10' },
  { path: 'deploy.docker', since: 'skaffold/v2beta23', seen: 'skaffold/v2beta25' },
  { path: 'deploy.cloudrun', since: 'skaffold/v3alpha1', exact: EXACT },
  { path: 'deploy.kubectl.defaultNamespace', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta9' },
  { path: 'deploy.kubectl.hooks', since: 'skaffold/v2beta21', seen: 'skaffold/v2beta22' },
  { path: 'deploy.kubectl.flags.disableValidation', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta10' },
  { path: 'deploy.kustomize.path', until: 'skaffold/v2alpha3', exact: EXACT },
  { path: 'deploy.kustomize.paths', since: 'skaffold/v2alpha3', exact: EXACT },
  { path: 'deploy.kustomize.buildArgs', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta10' },
  { path: 'deploy.kustomize.defaultNamespace', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta10' },
  { path: 'deploy.kustomize.hooks', since: 'skaffold/v2beta21', seen: 'skaffold/v2beta22' },
  { path: 'deploy.kustomize.flags.disableValidation', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta10' },
  { path: 'deploy.helm.hooks', since: 'skaffold/v2beta21', seen: 'skaffold/v2beta22' },
  { path: 'deploy.helm.concurrency', since: 'skaffold/v4beta1', seen: 'skaffold/v4beta14' },
  { path: 'deploy.helm.releases[*].values', until: 'skaffold/v2beta4', exact: EXACT },
  { path: 'deploy.helm.releases[*].artifactOverrides', since: 'skaffold/v2beta4', exact: EXACT },
  { path: 'deploy.helm.releases[*].remote', until: 'skaffold/v2beta15', gone: 'skaffold/v2beta15' },
  { path: 'deploy.helm.releases[*].setFiles', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta10' },
  { path: 'deploy.helm.releases[*].createNamespace', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta10' },
  { path: 'deploy.helm.releases[*].remoteChart', since: 'skaffold/v2beta13', seen: 'skaffold/v2beta15' },
  { path: 'deploy.helm.releases[*].repo', since: 'skaffold/v2beta13', seen: 'skaffold/v2beta15' },
  { path: 'deploy.helm.releases[*].upgradeOnChange', since: 'skaffold/v1beta15', seen: 'skaffold/v2beta10' },
  { path: 'deploy.helm.releases[*].skipTests', since: 'skaffold/v4beta1', seen: 'skaffold/v4beta14' },
  { path: 'deploy.helm.releases[*].dependsOn', since: 'skaffold/v4beta1', seen: 'skaffold/v4beta14' },
  // manifests (v3alpha1 on; `hooks`, `transform`, `validate`, `output`, `kpt` are in every version of that layout)
  { path: 'manifests.remoteManifests', since: 'skaffold/v4beta1', seen: 'skaffold/v4beta13' },
  { path: 'manifests.helm.releases[*].skipTests', since: 'skaffold/v4beta1', seen: 'skaffold/v4beta14' },
  { path: 'manifests.helm.releases[*].dependsOn', since: 'skaffold/v4beta1', seen: 'skaffold/v4beta14' },
];

/** Why `f`, present in a document of `apiVersion`, is an unknown key there; undefined when that version has it. */
export function fieldVersionProblem(f: FieldVersion, apiVersion: string): string | undefined {
  if (f.since && isBefore(apiVersion, f.since)) return `unknown key in ${apiVersion} (${f.exact ? `added in ${f.since}` : `${f.seen} has it`})`;
  if (f.until && !isBefore(apiVersion, f.until)) return `unknown key in ${apiVersion} (${f.exact ? `removed in ${f.until}` : `${f.gone} no longer has it`})`;
  return undefined;
}
