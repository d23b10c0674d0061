// slipway dev --pipeline FILE [--namespace N] [--keep-running-on-failure] [--cleanup=false]: the
// inner loop. The working directory (uncommitted changes included) is built and deployed into a
// personal namespace (default dev-<user>), then every change to its files is built and deployed
// again; only artifacts whose inputs changed are rebuilt (the build cache). A failing iteration
// ends the loop (exit 1) unless --keep-running-on-failure. Ctrl-C removes what the loop deployed
// unless --cleanup=false. No server, no Redis. (skaffold.yaml directories: not yet.)
import { userInfo } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../../core/config.ts';
import { ConfigError, formatProblem } from '../../core/errors.ts';
import { createLogger } from '../../core/logger.ts';
import { loadPipelineFiles } from '../../pipelines/load.ts';
import { devLoop } from '../../runner/dev/dev-loop.ts';
import { kubeClients } from '../../runner/environments/kube.ts';
import { toDns1123Label } from '../../runner/environments/namespace.ts';
import { exec } from '../../runner/exec.ts';
import { UsageError, type Command } from '../context.ts';

const USAGE = 'slipway dev --pipeline FILE [--namespace N] [--keep-running-on-failure] [--cleanup=false]';

export const dev: Command = {
  summary: 'dev --pipeline FILE [--namespace N] [--keep-running-on-failure] [--cleanup=false]   build and deploy this folder on every change',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        pipeline: { type: 'string' },
        namespace: { type: 'string' },
        'keep-running-on-failure': { type: 'boolean', default: false },
        cleanup: { type: 'string', default: 'true' },
      },
    });
    if (positionals.length || !values.pipeline) throw new UsageError(USAGE);
    if (values.cleanup !== 'true' && values.cleanup !== 'false') throw new UsageError(`--cleanup takes true or false\n${USAGE}`);
    const file = path.resolve(ctx.cwd, values.pipeline);
    const { pipelines, errors } = await loadPipelineFiles([file]);
    for (const p of errors) ctx.stderr(`${formatProblem(p)}\n`);
    const loaded = pipelines[0];
    if (!loaded || errors.length) throw new ConfigError(`${values.pipeline}: no usable pipeline`);
    if (loaded.pipeline.skaffold) throw new ConfigError('slipway dev runs native pipelines (build/deploy sections); skaffold.yaml pipelines are not supported by dev yet');
    const config = readConfig(ctx.env, ctx.cwd);
    const user = ctx.env.USER || userInfo().username || 'user';
    const namespace = values.namespace ?? toDns1123Label(`dev-${user}`);
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      return await devLoop({
        dir: ctx.cwd,
        pipeline: loaded.pipeline,
        namespace,
        user,
        keepRunningOnFailure: values['keep-running-on-failure'],
        cleanup: values.cleanup === 'true',
        exec,
        kube: kubeClients(kc),
        log: createLogger({ name: 'slipway-dev', level: ctx.env.SLIPWAY_LOG_LEVEL ?? 'warn' }),
        ...(config.defaultRepo ? { defaultRepo: config.defaultRepo } : {}),
        env: ctx.env,
        signal: controller.signal,
        out: (line) => ctx.stdout(`${line}\n`),
      });
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};
