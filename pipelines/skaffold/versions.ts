// The skaffold.yaml schema versions Slipway reads, oldest first, and the fields each version
// added after the oldest one it reads (a field used in a version that did not have it yet is an
// error, as Skaffold's strict parse of that version would make it).

const range = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `skaffold/${prefix}${from + i}`);

export const VERSIONS: readonly string[] = [
  ...range('v1beta', 11, 17),
  ...range('v2alpha', 1, 4),
  ...range('v2beta', 1, 29),
  'skaffold/v3alpha1',
  'skaffold/v3beta1',
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
 * Fields whose version range is known, with the first version that has them (`since`) or the
 * first that no longer has them (`until`). Paths use `*` for any list index; the same paths
 * inside `profiles[*]` are checked too.
 */
export const FIELD_VERSIONS: readonly { path: string; since?: string; until?: string }[] = [
  { path: 'metadata', since: 'skaffold/v2beta11' },
  { path: 'requires', since: 'skaffold/v2beta11' },
  { path: 'deploy.kustomize.path', until: 'skaffold/v2alpha3' },
  { path: 'deploy.kustomize.paths', since: 'skaffold/v2alpha3' },
  { path: 'deploy.helm.releases[*].values', until: 'skaffold/v2beta4' },
  { path: 'deploy.helm.releases[*].artifactOverrides', since: 'skaffold/v2beta4' },
];
