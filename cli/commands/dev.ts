// slipway dev [--filename skaffold.yaml | --pipeline FILE] [--profile P ...] [--namespace N]
// [--keep-running-on-failure] [--skip-tests] [--cleanup=false]: the inner loop. The working directory
// (uncommitted changes included) is built, tested (its plan's tests, as a CI build runs them;
// --skip-tests, as Skaffold's, runs none) and deployed into a personal namespace (default
// dev-<user>), then every change to a file its plan depends on (contexts, manifests, the skaffold
// file: runner/dev/dependencies.ts) is built, tested and deployed again; only artifacts whose
// inputs changed are rebuilt (the build cache). What it builds: the skaffold.yaml of the
// directory (Skaffold's -f/--filename names another; its profiles with -p/--profile, and those
// activated by `command: dev`), or a Slipway pipeline file (--pipeline); -d/--default-repo (else
// SLIPWAY_DEFAULT_REPO) rewrites image names as Skaffold's does. A failing iteration (a build or a test) ends
// the loop (exit 1) unless --keep-running-on-failure. Ctrl-C removes what the loop deployed
// unless --cleanup=false. No server, no Redis.
import { access } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../../core/config.ts';
import { ConfigError, formatProblem } from '../../core/errors.ts';
import { commandLogger } from '../../core/logger.ts';
import { loadPipelineFiles } from '../../pipelines/load.ts';
import { devLoop, type DevTarget } from '../../runner/dev/dev-loop.ts';
import { nativeTarget } from '../../runner/dev/native-target.ts';
import { skaffoldTarget } from '../../runner/dev/skaffold-target.ts';
import { kubeClients } from '../../runner/environments/kube.ts';
import { toDns1123Label } from '../../runner/environments/namespace.ts';
import { exec } from '../../runner/exec.ts';
import { createSandbox } from '../../runner/sandbox.ts';
import { UsageError, type Command, type CliContext } from '../context.ts';

const USAGE =
  'slipway dev [-f|--filename skaffold.yaml] [-p|--profile P ...] [-d|--default-repo R] [--namespace N] [--keep-running-on-failure] [--skip-tests] [--cleanup=false]\n' +
  '       slipway dev --pipeline FILE [-d|--default-repo R] [--namespace N] [--keep-running-on-failure] [--skip-tests] [--cleanup=false]';

interface TargetChoice {
  target: DevTarget;
  /** The folder built and watched. */
  dir: string;
}

async function chooseTarget(values: { pipeline?: string | undefined; filename?: string | undefined; profile: string[] }, ctx: CliContext, defaultRepo: string | undefined): Promise<TargetChoice> {
  if (values.pipeline) {
    if (values.filename) throw new UsageError(`--pipeline and --filename name two different things to run: give one\n${USAGE}`);
    const file = path.resolve(ctx.cwd, values.pipeline);
    const { pipelines, errors } = await loadPipelineFiles([file]);
    for (const p of errors) ctx.stderr(`${formatProblem(p)}\n`);
    const loaded = pipelines[0];
    if (!loaded || errors.length) throw new ConfigError(`${values.pipeline}: no usable pipeline`);
    const { pipeline } = loaded;
    if (pipeline.skaffold) {
      // a pipeline that runs the repository's skaffold.yaml: that file, relative to this folder
      const skaffold = { ...pipeline.skaffold, profiles: [...pipeline.skaffold.profiles, ...values.profile] };
      return { dir: ctx.cwd, target: skaffoldTarget({ name: pipeline.metadata.name, dir: ctx.cwd, skaffold, ...(defaultRepo ? { defaultRepo } : {}) }) };
    }
    if (values.profile.length) throw new UsageError(`--profile activates skaffold profiles; a Slipway pipeline's profiles follow branches\n${USAGE}`);
    return { dir: ctx.cwd, target: nativeTarget(pipeline, defaultRepo) };
  }
  // Skaffold's paths are relative to the skaffold file's folder: that folder is the source
  const file = path.resolve(ctx.cwd, values.filename ?? 'skaffold.yaml');
  try {
    await access(file);
  } catch {
    throw new ConfigError(
      values.filename ? `${values.filename}: no such file` : `no skaffold.yaml in ${ctx.cwd}: run slipway dev where one is, name it with --filename, or give a Slipway pipeline with --pipeline FILE`,
    );
  }
  const dir = path.dirname(file);
  const name = toDns1123Label(`dev-${path.basename(dir)}`.slice(0, 40));
  return { dir, target: skaffoldTarget({ name, dir, skaffold: { path: path.basename(file), profiles: values.profile, module: [] }, ...(defaultRepo ? { defaultRepo } : {}) }) };
}

export const dev: Command = {
  summary: 'dev [-f skaffold.yaml | --pipeline FILE] [-p PROFILE] [--namespace N] [--keep-running-on-failure] [--skip-tests] [--cleanup=false]   build, test and deploy this folder on every change',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        pipeline: { type: 'string' },
        filename: { type: 'string', short: 'f' },
        profile: { type: 'string', short: 'p', multiple: true, default: [] },
        'default-repo': { type: 'string', short: 'd' },
        namespace: { type: 'string' },
        'keep-running-on-failure': { type: 'boolean', default: false },
        'skip-tests': { type: 'boolean', default: false },
        cleanup: { type: 'string', default: 'true' },
      },
    });
    if (positionals.length) throw new UsageError(USAGE);
    if (values.cleanup !== 'true' && values.cleanup !== 'false') throw new UsageError(`--cleanup takes true or false\n${USAGE}`);
    // Skaffold's -p takes a comma-separated list too
    const profile = values.profile.flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
    const config = readConfig(ctx.env, ctx.cwd);
    const { target, dir } = await chooseTarget({ pipeline: values.pipeline, filename: values.filename, profile }, ctx, values['default-repo'] ?? config.defaultRepo);
    const user = ctx.env.USER || userInfo().username || 'user';
    const namespace = values.namespace ?? toDns1123Label(`dev-${user}`);
    const log = commandLogger(ctx.env, 'slipway-dev', 'warn');
    // custom build commands run sandboxed, as under slipway run (SLIPWAY_UNSANDBOXED_STEPS=1 opts out)
    const sandbox = await createSandbox({ workdir: config.workdir, exec, log, env: ctx.env });
    const { KubeConfig } = await import('../../runner/environments/kube-api.ts');
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      return await devLoop({
        dir,
        target,
        namespace,
        user,
        keepRunningOnFailure: values['keep-running-on-failure'],
        skipTests: values['skip-tests'],
        cleanup: values.cleanup === 'true',
        exec,
        kube: kubeClients(kc),
        log,
        sandbox,
        env: ctx.env,
        signal: controller.signal,
        out: (line) => ctx.stdout(`${line}\n`),
      });
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};
