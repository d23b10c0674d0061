// slipway up: server + runner + an embedded Redis in one process, a demo repository wired to it,
// and (with --local-cluster) the local registry and Kubernetes control plane. Ctrl-C stops all of
// it; a second `up` reuses the data folder and loses no build history.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readConfig, type Config } from '../../core/config.ts';
import { redactCredentials } from '../../core/repo-url.ts';
import { ConfigError, formatProblem } from '../../core/errors.ts';
import { createKeys } from '../../core/keys.ts';
import { commandLogger } from '../../core/logger.ts';
import { connectRedis, redisAnswers } from '../../core/redis.ts';
import { loadPipelines } from '../../pipelines/load.ts';
import type { LoadedPipeline } from '../../pipelines/schema.ts';
import { exec } from '../../runner/exec.ts';
import { createLocalGit } from '../up/local-git.ts';
import type { Command, CliContext } from '../context.ts';
import { ensureDemo, type Demo } from '../up/demo.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from '../up/embedded-redis.ts';
import { freePort } from '../up/free-port.ts';
import { kubeReachable, startLocalCluster, type LocalCluster } from '../up/local-cluster.ts';
import { registriesOf, unreachableRegistries } from '../up/registry-check.ts';
import { startRunnerPart, startServerPart } from '../up/stack.ts';
import { loadOrCreateToken } from '../up/token.ts';

/** The checkout (where scripts/ is), found from here whether this runs as TypeScript or from dist/. */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'scripts', 'testenv', 'up.sh')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const ROOT = findRoot();

/** Waits for an external Redis; fails naming the URL (without its password) when it never answers. */
async function reachRedis(url: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await redisAnswers(url, 2000))) {
    if (Date.now() > deadline) throw new ConfigError(`cannot reach Redis at ${redactCredentials(url)} (SLIPWAY_REDIS_URL); is it running?`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function loadAll(dirs: string[], ctx: CliContext): Promise<LoadedPipeline[]> {
  const all: LoadedPipeline[] = [];
  for (const dir of dirs) {
    const { pipelines, errors } = await loadPipelines(dir);
    for (const p of errors) ctx.stderr(`pipeline error: ${formatProblem(p)}\n`);
    all.push(...pipelines);
  }
  return all;
}

function summary(o: { config: Config; url: string; token: string; tokenFile?: string; redisUrl: string; cluster?: LocalCluster; demo?: Demo; pipelines: LoadedPipeline[] }): string {
  const lines = [
    '',
    'Slipway is up.',
    `  dashboard and API   ${o.url}/  (REST under ${o.url}/api)`,
    `  webhooks            ${o.url}/hooks/github  ${o.url}/hooks/gitea  ${o.url}/hooks/gogs`,
    `  API token           ${o.token}${o.tokenFile ? `  (saved in ${o.tokenFile})` : ''}`,
    `  redis               ${redactCredentials(o.redisUrl)}`,
    `  data folder         ${o.config.dataDir}`,
    `  pipelines           ${o.pipelines.map((p) => p.pipeline.metadata.name).join(', ') || '(none)'}`,
  ];
  if (o.cluster) {
    lines.push(`  registry            ${o.cluster.registry}`, `  kubeconfig          ${o.cluster.kubeconfig}`);
  } else {
    lines.push(`  kubeconfig          ${o.config.kubeconfig ?? '~/.kube/config'}`);
  }
  if (o.config.defaultRepo) lines.push(`  default repo        ${o.config.defaultRepo}  (image names without a registry are pushed there)`);
  if (o.demo) {
    lines.push(
      '',
      'Try the demo (README, "Walk-through"):',
      `  cd ${o.demo.workdir}`,
      '  git checkout -b hello && echo "<p>hi</p>" >> index.html && git commit -am hi && git push origin hello',
      `  npm run slipway -- logs ${o.demo.name}-<number> -f`,
    );
  }
  lines.push('', 'Ctrl-C stops everything.', '');
  return lines.join('\n');
}

export const up: Command = {
  summary: 'up [--local-cluster] [--no-demo]   server + runner + embedded Redis in one process',
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { 'local-cluster': { type: 'boolean', default: false }, 'no-demo': { type: 'boolean', default: false } } });
    let config = readConfig(ctx.env, ctx.cwd);
    const log = commandLogger(ctx.env, 'slipway');
    await mkdir(config.dataDir, { recursive: true });
    const cleanups: (() => Promise<void>)[] = [];
    // Ctrl-C at any point, during start-up too, stops what has been started so far.
    const interrupted = new AbortController();
    const onSignal = () => interrupted.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const checkInterrupted = () => {
      if (interrupted.signal.aborted) throw new ConfigError('interrupted during start-up');
    };
    const stopAll = async () => {
      for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => log.warn({ err: String(err) }, 'stop step failed'));
    };

    try {
      // Redis: the configured one, or an embedded redis-server in the data folder.
      let redisUrl: string;
      let embedded: EmbeddedRedis | undefined;
      if (config.redisUrl) {
        await reachRedis(config.redisUrl, config.redisWaitMs ?? 10_000);
        redisUrl = config.redisUrl;
      } else {
        embedded = await startEmbeddedRedis({ dataDir: config.dataDir, exec });
        cleanups.push(() => embedded!.stop());
        redisUrl = embedded.url;
      }

      const { token, file: tokenFile } = await loadOrCreateToken(config.dataDir, config.apiToken);
      const port = config.port === 0 ? await freePort() : config.port;
      config = { ...config, apiToken: token, port, publicUrl: ctx.env.SLIPWAY_PUBLIC_URL ? config.publicUrl : `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}` };

      // Kubernetes and a registry: the local ones on request, else whatever KUBECONFIG says.
      let cluster: LocalCluster | undefined;
      if (values['local-cluster']) {
        ctx.stderr('starting the local registry and Kubernetes control plane (scripts/testenv/up.sh)...\n');
        cluster = await startLocalCluster({
          root: ROOT,
          exec,
          signal: interrupted.signal,
          onLine: (line) => ctx.stderr(`  ${line}\n`),
          dataDir: config.dataDir,
          warn: (message) => ctx.stderr(`warning: ${message}\n`),
        });
        cleanups.push(() => cluster!.stop());
        Object.assign(ctx.env, cluster.env);
        // image names without a registry go to the local one (SLIPWAY_DEFAULT_REPO, when set, wins)
        config = { ...config, kubeconfig: cluster.kubeconfig, defaultRepo: config.defaultRepo ?? cluster.registry };
      } else if (!(await kubeReachable(exec, config.kubeconfig))) {
        ctx.stderr(
          `warning: no usable Kubernetes cluster (KUBECONFIG=${config.kubeconfig ?? '~/.kube/config'}); deploys will fail.\n` +
            '         Run `slipway up --local-cluster` (what `npm start` does) to start a local registry and control plane.\n',
        );
      }

      checkInterrupted();
      const redis = connectRedis(redisUrl, log);
      cleanups.push(async () => void redis.disconnect());
      const keys = createKeys(config.keyPrefix);
      let pipelines = await loadAll([config.pipelinesDir], ctx);
      const stack = { redis, redisUrl, keys, config, log, env: ctx.env, pipelines: () => pipelines };
      const server = await startServerPart({ ...stack, port });
      cleanups.push(() => server.close());

      let demo: Demo | undefined;
      if (cluster && !values['no-demo']) {
        demo = await ensureDemo({
          dataDir: config.dataDir,
          assets: path.join(ROOT, 'scripts/demo'),
          webhookUrl: `${server.url}/hooks/gogs`,
          registry: cluster.registry,
          baseImage: cluster.baseImage,
          git: createLocalGit(),
        });
        ctx.env[demo.secretEnv] = demo.secret;
        pipelines = await loadAll([config.pipelinesDir, demo.pipelinesDir], ctx);
        server.slipway.setPipelines(pipelines);
      }

      for (const host of await unreachableRegistries(registriesOf(pipelines))) {
        ctx.stderr(`warning: registry ${host} does not answer; builds that push there will fail (start one, or use --local-cluster).\n`);
      }
      checkInterrupted();
      const runnerPart = await startRunnerPart(stack);
      cleanups.push(() => runnerPart.close(config.stopGraceMs ?? 30_000));

      // Client commands (slipway builds, logs, ...) find this server through up.json; it goes when
      // this process stops, unless another `up` has written its own meanwhile.
      const upJson = path.join(config.dataDir, 'up.json');
      await writeFile(upJson, `${JSON.stringify({ url: server.url, pid: process.pid }, null, 2)}\n`);
      cleanups.push(async () => {
        const now = JSON.parse(await readFile(upJson, 'utf8').catch(() => '{}')) as { pid?: number };
        if (now.pid === process.pid) await rm(upJson, { force: true });
      });
      ctx.stdout(summary({ config, url: server.url, token, ...(tokenFile ? { tokenFile } : {}), redisUrl, ...(cluster ? { cluster } : {}), ...(demo ? { demo } : {}), pipelines }));

      if (!interrupted.signal.aborted) {
        await new Promise<void>((resolve) => interrupted.signal.addEventListener('abort', () => resolve(), { once: true }));
      }
      ctx.stderr('stopping...\n');
      await stopAll();
      ctx.stderr('stopped.\n');
      return 0;
    } catch (err) {
      await stopAll();
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
