// Fields Skaffold knows and Slipway does not run: warnings naming where each is used (e.g.
// `build.artifacts[2].jib`). Only those that change what is built or deployed fail the build,
// and only when the build needs them: when the plan as it runs (profiles applied, modules
// selected) has them, the build stage refuses it before anything builds (checkPlan in
// runner/stages/plan.ts); a port-forward never matters on a server.
import type { Document, LineCounter } from 'yaml';
import type { Problem } from '../../core/errors.ts';
import { dotted, keyPositionOf } from '../yaml-problems.ts';
import { matchPaths, withProfiles } from './paths.ts';

const RELEASE_FIELDS = ['remoteChart', 'version', 'recreatePods', 'skipTests', 'useHelmSecrets', 'repo', 'upgradeOnChange', 'overrides', 'packaged', 'dependsOn', 'remote'];

const IGNORED: readonly [pattern: string, why: string][] = [
  ...['bazel', 'jib', 'jibMaven', 'jibGradle', 'kaniko', 'buildpacks', 'buildpack', 'ko'].map(
    (b): [string, string] => [`build.artifacts[*].${b}`, `the ${b} builder is not supported by this runner: a build that needs it fails before anything is built`],
  ),
  ['build.artifacts[*].sync', 'file sync is for `skaffold dev`; ignored'],
  ['build.artifacts[*].hooks', 'build hooks are not run; ignored'],
  ['build.artifacts[*].runtimeType', 'ignored (no debugging on the server)'],
  ...['network', 'addHost', 'cacheFrom', 'cacheTo', 'cliFlags', 'squash', 'noCache', 'pullParent'].map(
    (f): [string, string] => [`build.artifacts[*].docker.${f}`, 'not passed to the builder; ignored'],
  ),
  ...['secrets', 'secret', 'ssh'].map((f): [string, string] => [`build.artifacts[*].docker.${f}`, `build ${f === 'ssh' ? 'ssh agents' : 'secrets'} are not passed to the builder: a build that needs it fails before anything is built`]),
  ['build.googleCloudBuild', 'Google Cloud Build is not supported: artifacts build on this runner'],
  ['build.cluster', 'in-cluster (kaniko) builds are not supported: artifacts build on this runner'],
  ['build.hooks', 'build hooks are not run; ignored'],
  ['build.insecureRegistries', 'ignored: loopback registries are spoken to over plain HTTP, others over TLS'],
  ['build.local.tryImportMissing', 'ignored'],
  ['build.local.useDockerCLI', 'ignored: artifacts build with buildah'],
  ['build.local.useBuildkit', 'ignored: artifacts build with buildah'],
  ['deploy.docker', 'the docker deployer is not supported by this runner: a build that needs it fails before anything is built'],
  ['deploy.kpt', 'the kpt deployer is not supported by this runner: a build that needs it fails before anything is built'],
  ['deploy.cloudrun', 'the Cloud Run deployer is not supported by this runner: a build that needs it fails before anything is built'],
  ['deploy.logs', 'ignored (no log tailing on the server)'],
  ['deploy.kubeContext', 'ignored: Slipway deploys into the environment namespace of its own cluster'],
  ['deploy.kubectl.remoteManifests', 'remote manifests are not supported by this runner: a build that needs them fails before anything is built'],
  ['deploy.kubectl.hooks', 'deploy hooks are not run; ignored'],
  ['deploy.kubectl.defaultNamespace', 'ignored: everything deploys into the environment namespace'],
  ['deploy.kustomize.hooks', 'deploy hooks are not run; ignored'],
  ['deploy.kustomize.defaultNamespace', 'ignored: everything deploys into the environment namespace'],
  ['deploy.helm.flags', 'helm flags are not passed; ignored'],
  ['deploy.helm.hooks', 'deploy hooks are not run; ignored'],
  ['deploy.helm.concurrency', 'releases deploy one at a time; ignored'],
  ...RELEASE_FIELDS.flatMap((f): [string, string][] => [
    [`deploy.helm.releases[*].${f}`, 'not supported for helm releases; ignored'],
    [`manifests.helm.releases[*].${f}`, 'not supported for helm releases; ignored'],
  ]),
  ['manifests.remoteManifests', 'remote manifests are not supported by this runner: a build that needs them fails before anything is built'],
  ['manifests.kpt', 'kpt manifests are not supported by this runner: a build that needs them fails before anything is built'],
  ['manifests.transform', 'manifest transforms are not run; ignored'],
  ['manifests.validate', 'manifest validation is not run; ignored'],
  ['manifests.output', 'ignored'],
  ['manifests.hooks', 'render hooks are not run; ignored'],
  ['manifests.helm.flags', 'helm flags are not passed; ignored'],
  // a required config is part of every run of the config requiring it: not fetched, so a build of that config fails
  ...(
    [
      ['git', 'git'],
      ['googleCloudStorage', 'GCS'],
      ['googleCloudBuildRepoV2', 'Cloud Build repository'],
    ] as const
  ).map(([f, what]): [string, string] => [`requires[*].${f}`, `remote (${what}) configs are not supported by this runner, only a local \`path\`: a build of this config fails before anything is built`]),
  ['metadata.labels', 'not used by this runner; ignored'],
  ['metadata.annotations', 'not used by this runner; ignored'],
  ['portForward', 'port forwarding is for local development; ignored'],
  ['verify', 'verify tests are not run; ignored'],
  ['customActions', 'custom actions are not run; ignored'],
  ['resourceSelector', 'ignored'],
];

/** Warnings for every known-but-unsupported field of one document, with file:line:column. */
export function unsupportedWarnings(file: string, doc: Document, lc: LineCounter, value: unknown): Problem[] {
  const out: Problem[] = [];
  for (const [pattern, why] of IGNORED) {
    for (const p of withProfiles(pattern)) {
      for (const at of matchPaths(value, p)) out.push({ file, ...keyPositionOf(doc, lc, at), path: dotted(at), message: why });
    }
  }
  return out;
}
