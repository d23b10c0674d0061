// The pipeline file, as a zod schema: the one source of the TypeScript types and of
// `slipway schema`'s JSON Schema. Vocabulary borrowed from Skaffold (artifacts, tagPolicy, helm
// releases, profiles).
import { z } from 'zod';
import { DURATION, DURATION_HINT } from './duration.ts';

/** DNS-1123 label: pipeline names become parts of build ids, namespaces and release names. */
const Label = z
  .string()
  .min(1)
  .max(53)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lowercase letters, digits and dashes (a DNS-1123 label)');

const Glob = z.string().min(1);
const Duration = z
  .union([z.string().regex(DURATION, DURATION_HINT), z.literal(0)])
  .transform((v) => String(v));

export const SecretRef = z.strictObject({
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
});
export type SecretRef = z.infer<typeof SecretRef>;

export const Source = z.strictObject({
  repo: z.string().min(1),
  secret: SecretRef.optional(),
  /** file:// clone URLs are refused unless the pipeline says so (tests and the demo). */
  allowLocal: z.boolean().default(false),
  /** Commit status reporting back to the forge. */
  status: z
    .strictObject({
      forge: z.enum(['github', 'gitea', 'gogs']),
      apiUrl: z.string().url().optional(),
      token: SecretRef,
      context: z.string().optional(),
    })
    .optional(),
});
export type Source = z.infer<typeof Source>;

export const PushTrigger = z.strictObject({
  branches: z.array(Glob).default(['**']),
  ignoreBranches: z.array(Glob).default([]),
  paths: z.array(Glob).default([]),
  ignorePaths: z.array(Glob).default([]),
  /** Tag globs; an empty list (the default) means tag pushes build nothing. */
  tags: z.array(Glob).default([]),
  /** How often branch heads are polled for pushes whose webhook never came; 0 off. */
  poll: Duration.default('5m'),
});
export type PushTrigger = z.infer<typeof PushTrigger>;

export const TagPolicy = z.union([
  z.strictObject({ template: z.string().min(1) }),
  z.strictObject({ gitCommit: z.strictObject({ variant: z.enum(['CommitSha', 'AbbrevCommitSha']).default('AbbrevCommitSha') }) }),
  z.strictObject({ dateTime: z.strictObject({ format: z.string().default('2006-01-02_15-04-05'), timezone: z.string().default('UTC') }) }),
  z.strictObject({ inputDigest: z.strictObject({}) }),
]);
export type TagPolicy = z.infer<typeof TagPolicy>;

export const Artifact = z.strictObject({
  image: z.string().regex(/^[a-z0-9.:_/-]+$/, 'must be an image name without tag (e.g. registry:5000/team/app)'),
  context: z.string().default('.'),
  docker: z
    .strictObject({
      dockerfile: z.string().default('Dockerfile'),
      buildArgs: z.record(z.string(), z.string()).default({}),
      target: z.string().optional(),
    })
    .default({ dockerfile: 'Dockerfile', buildArgs: {} }),
});
export type Artifact = z.infer<typeof Artifact>;

export const Build = z.strictObject({
  builder: z.enum(['docker', 'buildah', 'buildkit', 'kaniko']).default('buildah'),
  tagPolicy: TagPolicy.default({ template: '{{ .BuildNumber }}' }),
  artifacts: z.array(Artifact).default([]),
  /** How many artifacts build at once. */
  concurrency: z.number().int().min(1).max(16).default(2),
  timeout: Duration.default('30m'),
  /** Reuse the image of an artifact whose inputs are unchanged (registry-side); false always builds. */
  cache: z.boolean().default(true),
  /** Registry (and path) the artifacts' images are rewritten onto, as Skaffold's --default-repo; over SLIPWAY_DEFAULT_REPO. */
  defaultRepo: z.string().regex(/^[a-z0-9.:_/-]+$/, 'must be a registry host with an optional path, e.g. 127.0.0.1:5000/team').optional(),
});
export type Build = z.infer<typeof Build>;

export const TestStep = z.strictObject({
  name: z.string().min(1),
  run: z.array(z.string()).min(1, 'must be an argv array with at least the command'),
  workdir: z.string().default('.'),
  env: z.record(z.string(), z.string()).default({}),
  /** Variables whose values come from the runner's environment; masked in the build log. */
  secretEnv: z.record(z.string(), SecretRef).optional(),
  timeout: Duration.default('10m'),
});
export type TestStep = z.infer<typeof TestStep>;

export const HelmRelease = z.strictObject({
  name: Label,
  chartPath: z.string().min(1),
  valuesFiles: z.array(z.string()).default([]),
  setValues: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
});
export type HelmRelease = z.infer<typeof HelmRelease>;

export const HelmDeploy = z.strictObject({
  releases: z.array(HelmRelease).min(1),
  atomic: z.boolean().default(true),
  timeout: Duration.default('5m'),
});
export type HelmDeploy = z.infer<typeof HelmDeploy>;

export const Deploy = z.strictObject({
  helm: HelmDeploy.optional(),
});
export type Deploy = z.infer<typeof Deploy>;

/** A docker config JSON held by the runner (in an environment variable or a file), for the cluster to pull with. */
export const ImagePullSecret = z
  .strictObject({
    name: z
      .string()
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes object name (lowercase letters, digits, dashes, dots)'),
    env: SecretRef.shape.env.optional(),
    file: z.string().min(1).optional(),
  })
  .refine((s) => (s.env === undefined) !== (s.file === undefined), 'needs exactly one of env or file');
export type ImagePullSecret = z.infer<typeof ImagePullSecret>;

export const Environment = z.strictObject({
  namespace: z.string().min(1).default('{{ .Pipeline }}-{{ .Branch }}'),
  ttl: Duration.default('72h'),
  /** Tear the environment down when its branch is deleted (default true). */
  teardownOnBranchDelete: z.boolean().default(true),
  /** Created in every environment namespace and listed by its default ServiceAccount. */
  imagePullSecret: ImagePullSecret.optional(),
});
export type Environment = z.infer<typeof Environment>;

/**
 * The same object with every field optional and without its default: what a profile overrides.
 * (zod 4's `.partial()` keeps defaults, so a profile naming one field would reset the others.)
 */
function overrideOf<S extends z.ZodRawShape>(schema: z.ZodObject<S>) {
  const shape = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType)).optional()]),
  ) as unknown as { [K in keyof S]: z.ZodOptional<S[K] extends z.ZodDefault<infer Inner> ? Inner : S[K]> };
  return z.strictObject(shape);
}

export const EnvironmentOverride = overrideOf(Environment);
export type EnvironmentOverride = z.infer<typeof EnvironmentOverride>;
export const BuildOverride = overrideOf(Build);
export type BuildOverride = z.infer<typeof BuildOverride>;
export const DeployOverride = z.strictObject({ helm: overrideOf(HelmDeploy).optional() });
export type DeployOverride = z.infer<typeof DeployOverride>;

export const Profile = z.strictObject({
  name: Label,
  activation: z.array(z.strictObject({ branch: Glob })).min(1),
  /** Each field named here replaces the pipeline's; the others stay as they are. */
  environment: EnvironmentOverride.optional(),
  deploy: DeployOverride.optional(),
  build: BuildOverride.optional(),
});
export type Profile = z.infer<typeof Profile>;

/** The repository's own skaffold.yaml, read at the commit being built (instead of build, test, deploy). */
export const SkaffoldRef = z.strictObject({
  path: z.string().min(1).default('skaffold.yaml'),
  profiles: z.array(z.string().min(1)).default([]),
  /** metadata.name of the configs to run; empty = all of the file. */
  module: z.array(z.string().min(1)).default([]),
  /** Skaffold's --default-repo for this pipeline's images (over the runner's SLIPWAY_DEFAULT_REPO). */
  defaultRepo: z.string().regex(/^[a-z0-9.:_/-]+$/, 'must be a registry host with an optional path, e.g. 127.0.0.1:5000/team').optional(),
});
export type SkaffoldRef = z.infer<typeof SkaffoldRef>;

export const Pipeline = z.strictObject({
  apiVersion: z.literal('slipway/v1'),
  kind: z.literal('Pipeline'),
  metadata: z.strictObject({ name: Label }),
  source: Source,
  on: z.strictObject({ push: PushTrigger.default({ branches: ['**'], ignoreBranches: [], paths: [], ignorePaths: [], tags: [], poll: '5m' }) }).default({
    push: { branches: ['**'], ignoreBranches: [], paths: [], ignorePaths: [], tags: [], poll: '5m' },
  }),
  build: Build.default({ builder: 'buildah', tagPolicy: { template: '{{ .BuildNumber }}' }, artifacts: [], concurrency: 2, timeout: '30m', cache: true }),
  test: z.array(TestStep).default([]),
  deploy: Deploy.default({}),
  environment: Environment.default({ namespace: '{{ .Pipeline }}-{{ .Branch }}', ttl: '72h', teardownOnBranchDelete: true }),
  profiles: z.array(Profile).default([]),
  /** Builds (records and logs) kept: the newest keepBuilds and any younger than keepDays. */
  retention: z
    .strictObject({ keepBuilds: z.number().int().min(1).default(1000), keepDays: z.number().int().min(0).default(30) })
    .default({ keepBuilds: 1000, keepDays: 30 }),
  /** Exclusive with build, test and deploy (load.ts reports both written). */
  skaffold: SkaffoldRef.optional(),
}).superRefine((p, ctx) => {
  // Environments belong to branches: a tag has none to deploy into.
  if (p.on.push.tags.length > 0 && (p.deploy.helm || p.profiles.some((pr) => pr.deploy?.helm))) {
    ctx.addIssue({
      code: 'custom',
      path: ['on', 'push', 'tags'],
      message: 'tag pushes cannot deploy (environments are per branch): build tags in a second pipeline without a deploy, or remove on.push.tags',
    });
  }
  p.profiles.forEach((pr, i) => {
    if (pr.deploy?.helm && !p.deploy.helm && !pr.deploy.helm.releases) {
      ctx.addIssue({ code: 'custom', path: ['profiles', i, 'deploy', 'helm'], message: 'the pipeline has no helm deploy: this profile must name its releases' });
    }
  });
});
export type Pipeline = z.infer<typeof Pipeline>;
/** A pipeline as loaded: the parsed file plus where it came from. */
export interface LoadedPipeline {
  file: string;
  pipeline: Pipeline;
}
