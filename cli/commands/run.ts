// slipway run <pipeline> [--branch B] [--sha S] [--no-deploy] [--no-cache]: the same stages as a queued build,
// run here without server or queue, its log printed. Build numbers count up per pipeline in
// <data dir>/run-numbers. --no-deploy builds and tests only (native and skaffold pipelines alike,
// whatever the branch's profile adds). A deploy needs SLIPWAY_REDIS_URL (the namespace lock and the
// environment record live there; without a deploy the Redis client is not even loaded). Ctrl-C
// cancels (a started deploy finishes). Exit 0 when the build succeeded.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../../core/config.ts';
import { ConfigError, formatProblem } from '../../core/errors.ts';
import { buildId, nowIso } from '../../core/ids.ts';
import { createKeys } from '../../core/keys.ts';
import { commandLogger } from '../../core/logger.ts';
import type { BuildRecord } from '../../core/records.ts';
import { loadPipelines } from '../../pipelines/load.ts';
import type { Redis } from '../../core/redis.ts';
import type { RunnerDeps } from '../../runner/runner-deps.ts';
import type { EnvironmentManager } from '../../runner/environments/types.ts';
import type { KubectlStateStore } from '../../runner/deployers/kubectl-state.ts';
import { exec } from '../../runner/exec.ts';
import { createSandbox } from '../../runner/sandbox.ts';
import { createGit } from '../../runner/git.ts';
import { runBuild, runDeploys } from '../../runner/run-build.ts';
import { UsageError, type Command } from '../context.ts';
import { createTimings } from '../timings.ts';

async function nextNumber(dataDir: string, pipeline: string): Promise<number> {
  const dir = path.join(dataDir, 'run-numbers');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, pipeline);
  const last = Number((await readFile(file, 'utf8').catch(() => '0')).trim()) || 0;
  await writeFile(file, String(last + 1));
  return last + 1;
}

export const run: Command = {
  summary: 'run <pipeline> [--branch B] [--sha S] [--no-deploy] [--no-cache]   run a pipeline here, without a server, printing its log',
  async run(args, ctx) {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        branch: { type: 'string' },
        sha: { type: 'string' },
        'no-deploy': { type: 'boolean', default: false },
        'no-cache': { type: 'boolean', default: false },
      },
    });
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new UsageError('slipway run <pipeline> [--branch B] [--sha S] [--no-deploy] [--no-cache]');
    const config = readConfig(ctx.env, ctx.cwd);
    // SLIPWAY_TIMINGS=1: a timeline of stages, commands and environment calls on stderr (bench/)
    const timings = ctx.env.SLIPWAY_TIMINGS ? createTimings(ctx.stderr) : undefined;
    timings?.mark(`slipway run ${name}`);
    const door = timings ? timings.exec(exec) : exec;
    const timed = <T>(what: string, fn: () => Promise<T>): Promise<T> => (timings ? timings.around(what, fn) : fn());
    const log = commandLogger(ctx.env, 'slipway-run', 'warn');
    // the sandbox's probes (two short processes) run while the pipelines are read
    const sandbox = createSandbox({ workdir: config.workdir, exec: door, log, env: ctx.env });
    sandbox.catch(() => undefined); // awaited below, after the pipeline is found
    const { pipelines, errors } = await loadPipelines(config.pipelinesDir);
    const loaded = pipelines.find((p) => p.pipeline.metadata.name === name);
    if (!loaded) {
      for (const p of errors) ctx.stderr(`${formatProblem(p)}\n`);
      throw new ConfigError(`no pipeline named ${name} in ${config.pipelinesDir} (found: ${pipelines.map((p) => p.pipeline.metadata.name).join(', ') || 'none'})`);
    }
    const { pipeline } = loaded;
    const branch = values.branch ?? 'main';
    // --no-deploy: the build's deploy stage is skipped whatever the plan or the branch's profile says
    const deploy = !values['no-deploy'];
    const needsRedis = runDeploys({ pipeline, branch, deploy });
    if (needsRedis && !config.redisUrl) {
      throw new ConfigError('a deploy needs SLIPWAY_REDIS_URL (the namespace lock and environment records live there); or pass --no-deploy');
    }

    // ioredis only for a deploy (a build-and-test run never loads it), and only when the deploy's
    // warm-up or the deploy needs it: loading and connecting it (~35 ms) no longer comes before the checkout
    let connecting: Promise<Redis> | undefined;
    const connectRedis = (): Promise<Redis> => (connecting ??= import('../../core/redis.ts').then((m) => m.connectRedis(config.redisUrl!, log)));
    const keys = createKeys(config.keyPrefix);
    const number = await nextNumber(config.dataDir, name);
    // Node loads its fetch (undici, ~10–25 ms of CPU) at the first call, which the build's first
    // registry request (the tag check right before buildah starts) would pay: loaded here instead,
    // while the sandbox's probes run (a data: URL, nothing leaves the process)
    fetch('data:,').catch(() => undefined);
    let record: BuildRecord = {
      id: buildId(name, number),
      pipeline: name,
      number,
      status: 'queued',
      trigger: { type: 'manual', by: 'slipway run' },
      repo: pipeline.source.repo,
      branch,
      sha: values.sha ?? '',
      createdAt: nowIso(),
      stages: [],
      images: [],
    };
    let environments: RunnerDeps['environments'];
    // The environment manager and @kubernetes/client-node (~0.1 s of CPU bundled) are loaded by
    // the deploy's warm-up (runner/stages/deploy.ts), with helm's version, once a core is spare
    // from the builds (not while two build on two cores: that made them take longer, bench/skaffold).
    let loading: Promise<EnvironmentManager> | undefined;
    const load = (): Promise<EnvironmentManager> => {
      if (!needsRedis) return Promise.reject(new ConfigError('a deploy needs SLIPWAY_REDIS_URL'));
      loading ??= timed('loading the environment manager', async () => {
        const [{ createEnvironmentManager }, { KubeConfig }] = await Promise.all([
          import('../../runner/environments/manager.ts'),
          import('../../runner/environments/kube-api.ts'),
        ]);
        const kube = new KubeConfig();
        kube.loadFromDefault();
        return createEnvironmentManager({ redis: await connectRedis(), keys, kube, log });
      });
      return loading;
    };
    const kubectlState = async (): Promise<KubectlStateStore> => {
      const store = (await load()).kubectlState;
      if (!store) throw new ConfigError('this environment manager cannot keep the kubectl deploy state');
      return store;
    };
    if (needsRedis) {
      environments = {
        warm: async () => timed('environment warm', async () => (await load()).warm?.()),
        prepare: async (input) => timed('environment prepare', async () => (await load()).prepare(input)),
        recordDeploy: async (input) => timed('environment recordDeploy', async () => (await load()).recordDeploy(input)),
        recordFailure: async (input) => (await load()).recordFailure(input),
        releaseStatus: async (namespace, release) => timed(`release status ${release}`, async () => (await load()).releaseStatus?.(namespace, release)),
        kubectlState: {
          read: async (namespace, p) => timed('kubectl state read', async () => (await kubectlState()).read(namespace, p)),
          write: async (namespace, p, state) => timed('kubectl state write', async () => (await kubectlState()).write(namespace, p, state)),
        },
        workloads: {
          snapshot: async (namespace, withJobs) => timed('pods read', async () => {
            const reader = (await load()).workloads;
            if (!reader) throw new ConfigError('this environment manager cannot read pods');
            return reader.snapshot(namespace, withJobs);
          }),
        },
      };
    }
    const controller = new AbortController();
    const onSigint = () => controller.abort('cancelled with Ctrl-C');
    process.once('SIGINT', onSigint);
    try {
      const result = await runBuild({
        record,
        pipeline,
        deploy,
        signal: controller.signal,
        onStage: (stage) => {
          timings?.mark(`==> ${stage}`);
        },
        deps: {
          exec: door,
          git: createGit({ workdir: config.workdir, exec: door }),
          workdir: config.workdir,
          log,
          ...(needsRedis ? { connectRedis, keys } : {}),
          ...(environments ? { environments } : {}),
          ...(config.apiToken ? { secrets: [config.apiToken] } : {}),
          ...(config.defaultRepo ? { defaultRepo: config.defaultRepo } : {}),
          ...(values['no-cache'] ? { noCache: true } : {}),
          env: ctx.env,
          sandbox: await sandbox,
        },
        reporter: {
          update: async (change) => {
            record = change(record);
            return record;
          },
          lines: (lines) => ctx.stdout(lines.map((l) => `${l}\n`).join('')),
        },
      });
      for (const img of record.images) ctx.stdout(`image ${img.ref}\n`);
      timings?.mark(`build ${result.status}`);
      return result.status === 'succeeded' ? 0 : 1;
    } finally {
      process.removeListener('SIGINT', onSigint);
      // a connection still being made (a build that failed during the warm-up) is closed too
      (await connecting?.catch(() => undefined))?.disconnect();
    }
  },
};
