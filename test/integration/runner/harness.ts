// Shared pieces of the runner tests: a fixture app repository (Dockerfile FROM the testenv base
// image, a chart with a Deployment and a Service), a pipeline of the test's own (unique name,
// image and namespace), a runner on the test's own Redis prefix and BullMQ prefix, and cleanup.
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { BuildStore } from '../../../core/build-store.ts';
import { LogStream } from '../../../core/log-stream.ts';
import { silentLogger } from '../../../core/logger.ts';
import { createQueues, type Queues } from '../../../core/queue.ts';
import { isFinal, type BuildRecord } from '../../../core/records.ts';
import { Pipeline } from '../../../pipelines/schema.ts';
import { deleteNamespace, kubeClients, type KubeClients } from '../../../runner/environments/kube.ts';
import { createEnvironmentManager } from '../../../runner/environments/manager.ts';
import { exec, recordingExec, type RecordedCall } from '../../../runner/exec.ts';
import { startRunner, type Runner, type StartRunnerOptions } from '../../../runner/start.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/fixture-repo.ts';
import { ROOT, testenv, testRedis, type TestRedis, uniqueName } from '../../helpers/testenv.ts';

const APP = path.join(ROOT, 'test/fixtures/runner-app');

/** buildah and helm find the testenv's storage, registries and cluster through these. */
export function useTestenvProcessEnv(): void {
  const v = testenv().vars;
  for (const k of ['KUBECONFIG', 'CONTAINERS_STORAGE_CONF', 'CONTAINERS_REGISTRIES_CONF']) if (v[k]) process.env[k] = v[k];
  if (v.SLIPWAY_TEST_BIN_DIRS) process.env.PATH = `${v.SLIPWAY_TEST_BIN_DIRS}:${process.env.PATH ?? ''}`;
}

async function appFiles(dir = APP, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, await appFiles(dir, child));
    else out[child] = await readFile(path.join(dir, child), 'utf8');
  }
  return out;
}

export interface RunnerHarness {
  name: string;
  namespace: string;
  image: string;
  repo: FixtureRepo;
  redis: TestRedis['redis'];
  keys: TestRedis['keys'];
  bullPrefix: string;
  workdir: string;
  store: BuildStore;
  logs: LogStream;
  queues: Queues;
  kube: KubeClients;
  apps: AppsV1Api;
  calls: RecordedCall[];
  /** A pipeline of this test (unique name, image, namespace); `extra` replaces top-level sections. */
  pipeline(extra?: Record<string, unknown>): Pipeline;
  /** Starts a runner that knows the pipelines given (a list, or a lookup the test can change). */
  runner(pipelines: Pipeline[] | ((name: string) => Pipeline | undefined), opts?: Partial<StartRunnerOptions>): Promise<Runner>;
  /** Creates a build record and queues it. */
  enqueue(pipeline: Pipeline, fields?: Partial<BuildRecord>): Promise<BuildRecord>;
  waitFinal(id: string, timeoutMs?: number): Promise<BuildRecord>;
  waitLog(id: string, pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  helm(...args: string[]): Promise<{ exitCode: number; stdout: string }>;
  cleanup(): Promise<void>;
}

export async function runnerHarness(): Promise<RunnerHarness> {
  useTestenvProcessEnv();
  const r = await testRedis();
  const name = uniqueName('rt');
  const namespace = name;
  const image = `${testenv().registry}/slipway-runner-test/${name}`;
  const repo = await fixtureRepo(await appFiles());
  const workdir = await mkdtemp(path.join(tmpdir(), 'slipway-runner-'));
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  const kube = kubeClients(kc);
  const rec = recordingExec(exec);
  const runners: Runner[] = [];
  const queues = createQueues(r.redis, r.bullPrefix);
  const h: RunnerHarness = {
    name,
    namespace,
    image,
    repo,
    redis: r.redis,
    keys: r.keys,
    bullPrefix: r.bullPrefix,
    workdir,
    store: new BuildStore(r.redis, r.keys),
    logs: new LogStream(r.redis, r.keys),
    queues,
    kube,
    apps: kc.makeApiClient(AppsV1Api),
    calls: rec.calls,
    pipeline: (extra = {}) =>
      Pipeline.parse({
        apiVersion: 'slipway/v1',
        kind: 'Pipeline',
        metadata: { name },
        source: { repo: repo.url, allowLocal: true },
        build: {
          builder: 'buildah',
          artifacts: [{ image, context: '.', docker: { dockerfile: 'Dockerfile', buildArgs: { BASE: testenv().baseImage } } }],
        },
        test: [{ name: 'unit', run: ['sh', '-c', 'test -f chart/Chart.yaml && echo tests passed'] }],
        deploy: {
          helm: {
            releases: [
              {
                name: 'app',
                chartPath: 'chart',
                setValues: {
                  'image.repository': `{{ .Images.${name}.Repo }}`,
                  'image.tag': `{{ .Images.${name}.Tag }}`,
                  'image.digest': `{{ .Images.${name}.Digest }}`,
                },
              },
            ],
            timeout: '60s',
          },
        },
        environment: { namespace, ttl: '1h' },
        ...extra,
      }),
    async runner(pipelines, opts = {}) {
      const lookup = typeof pipelines === 'function' ? pipelines : (n: string) => pipelines.find((p) => p.metadata.name === n);
      const runner = await startRunner({
        redis: r.redis,
        keys: r.keys,
        bullPrefix: r.bullPrefix,
        pipelines: lookup,
        config: { workdir, concurrency: 2, publicUrl: 'http://127.0.0.1:1', apiToken: undefined },
        log: silentLogger(),
        exec: rec.exec,
        environments: createEnvironmentManager({ redis: r.redis, keys: r.keys, kube, log: silentLogger() }),
        helm: { bin: testenv().helm, env: { KUBECONFIG: testenv().kubeconfig } },
        pushBackoffMs: 200,
        ...opts,
      });
      runners.push(runner);
      return runner;
    },
    async enqueue(pipeline, fields = {}) {
      const record = await h.store.create({
        pipeline: pipeline.metadata.name,
        trigger: { type: 'manual' },
        repo: pipeline.source.repo,
        branch: 'main',
        sha: await repo.head(),
        ...fields,
      });
      await queues.builds.add('build', { buildId: record.id }, { jobId: record.id });
      return record;
    },
    async waitFinal(id, timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const rec = await h.store.require(id);
        if (isFinal(rec.status)) return rec;
        if (Date.now() > deadline) throw new Error(`build ${id} still ${rec.status}: ${await h.logs.text(id)}`);
        await sleep(100);
      }
    },
    async waitLog(id, pattern, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(await h.logs.text(id));
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`no ${pattern} in the log of ${id}: ${await h.logs.text(id)}`);
        await sleep(100);
      }
    },
    helm: (...args) => exec([testenv().helm, ...args], { env: { KUBECONFIG: testenv().kubeconfig }, allowFailure: true }),
    async cleanup() {
      for (const runner of runners) await runner.close(1000).catch(() => undefined);
      await queues.builds.obliterate({ force: true }).catch(() => undefined);
      await queues.close();
      await h.helm('uninstall', 'app', '--namespace', namespace);
      await deleteNamespace(kube, namespace).catch(() => undefined);
      await repo.cleanup();
      await rm(workdir, { recursive: true, force: true });
      await r.cleanup();
    },
  };
  return h;
}
