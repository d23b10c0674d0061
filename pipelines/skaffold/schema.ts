// skaffold.yaml as zod schemas, strict as Skaffold's own parse: a key Skaffold does not know is an
// error. Keys Skaffold knows but Slipway does not run are accepted here as `Known` and reported
// as warnings by unsupported.ts. Two layouts: before skaffold/v3alpha1 (`deploy.kubectl.manifests`,
// `deploy.kustomize`) and from it on (`manifests.rawYaml`, `manifests.kustomize`).
import { z } from 'zod';

/** Known to Skaffold, not run by Slipway: accepted, then warned about where it is used. */
const Known = z.unknown();
const Str = z.string();
const Scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const StrMap = z.record(z.string(), Scalar);
const StrList = z.array(z.string());

export const Metadata = z.strictObject({ name: Str.optional(), labels: StrMap.optional(), annotations: StrMap.optional() });

export const ConfigDependency = z.strictObject({
  configs: StrList.optional(),
  path: Str.optional(),
  git: Known.optional(),
  googleCloudStorage: Known.optional(),
  googleCloudBuildRepoV2: Known.optional(),
  activeProfiles: z.array(z.strictObject({ name: Str, activatedBy: StrList.optional() })).optional(),
});
export type ConfigDependency = z.infer<typeof ConfigDependency>;

export const DockerArtifact = z.strictObject({
  dockerfile: Str.optional(),
  target: Str.optional(),
  // Skaffold's values are *string: null means "from the environment variable of that name"
  buildArgs: z.record(z.string(), z.union([Scalar, z.null()])).optional(),
  network: Known.optional(),
  addHost: Known.optional(),
  cacheFrom: Known.optional(),
  cacheTo: Known.optional(),
  cliFlags: Known.optional(),
  pullParent: z.boolean().optional(),
  noCache: z.boolean().optional(),
  squash: Known.optional(),
  secrets: Known.optional(),
  secret: Known.optional(),
  ssh: Known.optional(),
});
export type DockerArtifact = z.infer<typeof DockerArtifact>;

export const CustomArtifact = z.strictObject({
  buildCommand: Str.optional(),
  dependencies: z
    .strictObject({
      dockerfile: z.strictObject({ path: Str.optional(), buildArgs: z.record(z.string(), z.union([Scalar, z.null()])).optional() }).optional(),
      paths: StrList.optional(),
      ignore: StrList.optional(),
      command: Str.optional(),
    })
    .optional(),
});
export type CustomArtifact = z.infer<typeof CustomArtifact>;

export const Artifact = z.strictObject({
  image: Str.min(1),
  context: Str.optional(),
  sync: Known.optional(),
  requires: z.array(z.strictObject({ image: Str.min(1), alias: Str.optional() })).optional(),
  hooks: Known.optional(),
  platforms: StrList.optional(),
  runtimeType: Known.optional(),
  docker: DockerArtifact.optional(),
  custom: CustomArtifact.optional(),
  bazel: Known.optional(),
  jib: Known.optional(),
  jibMaven: Known.optional(),
  jibGradle: Known.optional(),
  kaniko: Known.optional(),
  buildpacks: Known.optional(),
  buildpack: Known.optional(),
  ko: Known.optional(),
});
export type Artifact = z.infer<typeof Artifact>;

const GitTagger = z.strictObject({
  variant: z.enum(['Tags', 'CommitSha', 'AbbrevCommitSha', 'TreeSha', 'AbbrevTreeSha']).optional(),
  prefix: Str.optional(),
  ignoreChanges: z.boolean().optional(),
});
const Taggers = {
  gitCommit: GitTagger.optional(),
  sha256: z.strictObject({}).optional(),
  envTemplate: z.strictObject({ template: Str.min(1) }).optional(),
  dateTime: z.strictObject({ format: Str.optional(), timezone: Str.optional() }).optional(),
  inputDigest: z.strictObject({}).optional(),
};
export const TagPolicy = z.strictObject({
  ...Taggers,
  customTemplate: z
    .strictObject({ template: Str.min(1), components: z.array(z.strictObject({ name: Str.min(1), ...Taggers })).optional() })
    .optional(),
});
export type TagPolicy = z.infer<typeof TagPolicy>;

export const LocalBuild = z.strictObject({
  push: z.boolean().optional(),
  tryImportMissing: z.boolean().optional(),
  useDockerCLI: z.boolean().optional(),
  useBuildkit: z.boolean().optional(),
  concurrency: z.number().int().min(0).optional(),
});

export const BuildConfig = z.strictObject({
  hooks: Known.optional(),
  artifacts: z.array(Artifact).optional(),
  insecureRegistries: StrList.optional(),
  tagPolicy: TagPolicy.optional(),
  platforms: StrList.optional(),
  local: LocalBuild.optional(),
  googleCloudBuild: Known.optional(),
  cluster: Known.optional(),
});
export type BuildConfig = z.infer<typeof BuildConfig>;

export const CustomTest = z.strictObject({
  command: Str.min(1),
  timeoutSeconds: z.number().int().min(0).optional(),
  dependencies: z.strictObject({ command: Str.optional(), paths: StrList.optional(), ignore: StrList.optional() }).optional(),
});

export const TestCase = z.strictObject({
  image: Str.min(1),
  context: Str.optional(),
  custom: z.array(CustomTest).optional(),
  structureTests: StrList.optional(),
  structureTestsArgs: StrList.optional(),
});
export type TestCase = z.infer<typeof TestCase>;

const helmReleaseFields = {
  name: Str.min(1),
  chartPath: Str.optional(),
  remoteChart: Known.optional(),
  valuesFiles: StrList.optional(),
  namespace: Str.optional(),
  version: Known.optional(),
  setValues: StrMap.optional(),
  setValueTemplates: StrMap.optional(),
  setFiles: StrMap.optional(),
  createNamespace: z.boolean().optional(),
  wait: z.boolean().optional(),
  recreatePods: Known.optional(),
  skipBuildDependencies: z.boolean().optional(),
  skipTests: Known.optional(),
  useHelmSecrets: Known.optional(),
  repo: Known.optional(),
  upgradeOnChange: Known.optional(),
  overrides: Known.optional(),
  packaged: Known.optional(),
  dependsOn: Known.optional(),
};
export const HelmRelease = z.strictObject(helmReleaseFields);
/** Before v3alpha1 a release also had `artifactOverrides` (`values` before v2beta4) and `imageStrategy`. */
export const LegacyHelmRelease = z.strictObject({
  ...helmReleaseFields,
  values: StrMap.optional(),
  artifactOverrides: StrMap.optional(),
  imageStrategy: z.strictObject({ fqn: z.strictObject({}).nullish(), helm: z.strictObject({ explicitRegistry: z.boolean().optional() }).nullish() }).optional(),
  remote: Known.optional(),
});
export type HelmRelease = z.infer<typeof HelmRelease>;
export type LegacyHelmRelease = z.infer<typeof LegacyHelmRelease>;

const HelmDeploy = z.strictObject({ releases: z.array(HelmRelease).optional(), flags: Known.optional(), hooks: Known.optional(), concurrency: Known.optional() });
const LegacyHelmDeploy = z.strictObject({ releases: z.array(LegacyHelmRelease).optional(), flags: Known.optional(), hooks: Known.optional() });

const KubectlFlags = z.strictObject({ global: StrList.optional(), apply: StrList.optional(), delete: StrList.optional(), disableValidation: z.boolean().optional() });

const commonDeploy = {
  docker: Known.optional(),
  kpt: Known.optional(),
  cloudrun: Known.optional(),
  statusCheck: z.boolean().nullish(),
  statusCheckDeadlineSeconds: z.number().int().min(0).optional(),
  kubeContext: Str.optional(),
  logs: Known.optional(),
  tolerateFailuresUntilDeadline: z.boolean().optional(),
};

export const DeployConfig = z.strictObject({
  ...commonDeploy,
  helm: HelmDeploy.optional(),
  kubectl: z
    .strictObject({ remoteManifests: Known.optional(), flags: KubectlFlags.optional(), defaultNamespace: Str.optional(), hooks: Known.optional() })
    .optional(),
});
export type DeployConfig = z.infer<typeof DeployConfig>;

export const LegacyDeployConfig = z.strictObject({
  ...commonDeploy,
  helm: LegacyHelmDeploy.optional(),
  kubectl: z
    .strictObject({
      manifests: StrList.optional(),
      remoteManifests: Known.optional(),
      flags: KubectlFlags.optional(),
      defaultNamespace: Str.optional(),
      hooks: Known.optional(),
    })
    .optional(),
  kustomize: z
    .strictObject({
      path: Str.optional(),
      paths: StrList.optional(),
      flags: KubectlFlags.optional(),
      buildArgs: StrList.optional(),
      defaultNamespace: Str.optional(),
      hooks: Known.optional(),
    })
    .optional(),
});
export type LegacyDeployConfig = z.infer<typeof LegacyDeployConfig>;

export const RenderConfig = z.strictObject({
  rawYaml: StrList.optional(),
  remoteManifests: Known.optional(),
  kustomize: z.strictObject({ paths: StrList.optional(), buildArgs: StrList.optional() }).optional(),
  helm: z.strictObject({ releases: z.array(HelmRelease).optional(), flags: Known.optional() }).optional(),
  kpt: Known.optional(),
  transform: Known.optional(),
  validate: Known.optional(),
  output: Known.optional(),
  hooks: Known.optional(),
});
export type RenderConfig = z.infer<typeof RenderConfig>;

const Activation = z.strictObject({ env: Str.optional(), kubeContext: Str.optional(), command: Str.optional() });
export const JsonPatch = z.strictObject({
  op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']).default('replace'),
  path: Str.min(1),
  from: Str.optional(),
  value: z.unknown().optional(),
});
export type JsonPatch = z.infer<typeof JsonPatch>;

const unsupportedSections = {
  portForward: Known.optional(),
  verify: Known.optional(),
  customActions: Known.optional(),
  resourceSelector: Known.optional(),
};

const v1Fields = { build: BuildConfig.optional(), test: z.array(TestCase).optional(), deploy: LegacyDeployConfig.optional(), ...unsupportedSections };
const v3Fields = { ...v1Fields, deploy: DeployConfig.optional(), manifests: RenderConfig.optional() };

function documentSchema<F extends typeof v1Fields | typeof v3Fields>(fields: F) {
  return z.strictObject({
    apiVersion: Str,
    kind: z.literal('Config'),
    metadata: Metadata.optional(),
    requires: z.array(ConfigDependency).optional(),
    ...fields,
    profiles: z
      .array(
        z.strictObject({
          name: Str.min(1),
          activation: z.array(Activation).optional(),
          requiresAllActivations: z.boolean().optional(),
          patches: z.array(JsonPatch).optional(),
          ...fields,
        }),
      )
      .optional(),
  });
}

const V1Document = documentSchema(v1Fields);
const V3Document = documentSchema(v3Fields);

/** The schema of one document of the given layout. */
export function configSchema(layout: 'v1' | 'v3'): typeof V1Document | typeof V3Document {
  return layout === 'v1' ? V1Document : V3Document;
}

/** A document in the newest layout (what upgrade.ts turns every document into). */
export const SkaffoldConfig = V3Document;
export type SkaffoldConfig = z.infer<typeof SkaffoldConfig>;
export type SkaffoldProfile = NonNullable<SkaffoldConfig['profiles']>[number];
