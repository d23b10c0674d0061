// Shared pieces of the environment tests: a Redis prefix of the test's own, a Kubernetes client on
// the testenv, a pipeline with a unique name (so its namespaces are the test's own), a real helm
// deploy of test/fixtures/charts/env-app under the namespace lock, and cleanup of namespaces.
import path from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { BuildRecord } from '../../../core/records.ts';
import { Pipeline } from '../../../pipelines/schema.ts';
import { effectivePipeline } from '../../../pipelines/profiles.ts';
import { exec } from '../../../runner/exec.ts';
import { withNamespaceLock } from '../../../runner/lock.ts';
import { deleteNamespace, kubeClients, type KubeClients } from '../../../runner/environments/kube.ts';
import { createEnvironmentManager } from '../../../runner/environments/manager.ts';
import type { EnvironmentManager } from '../../../runner/environments/types.ts';
import { ROOT, testenv, testRedis, type TestRedis, uniqueName } from '../../helpers/testenv.ts';
import { capturedLogger } from '../../helpers/captured-logger.ts';
export { capturedLogger };

export const CHART = path.join(ROOT, 'test/fixtures/charts/env-app');


export function testPipeline(extra: Record<string, unknown> = {}): Pipeline {
  return Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: uniqueName('envt') },
    source: { repo: 'http://127.0.0.1:3000/team/app.git' },
    deploy: { helm: { releases: [{ name: 'web', chartPath: CHART }] } },
    environment: { namespace: '{{ .Pipeline }}-{{ .Branch }}', ttl: '72h' },
    ...extra,
  });
}

let buildCounter = 0;
export function fakeBuild(pipeline: string, branch: string): BuildRecord {
  buildCounter += 1;
  return {
    id: `${pipeline}-${buildCounter}`,
    pipeline,
    number: buildCounter,
    status: 'running',
    trigger: { type: 'push' },
    repo: 'http://127.0.0.1:3000/team/app.git',
    branch,
    sha: buildCounter.toString(16).padStart(40, '0'),
    createdAt: new Date().toISOString(),
    stages: [],
    images: [],
  };
}

export interface EnvHarness {
  redis: TestRedis['redis'];
  keys: TestRedis['keys'];
  bullPrefix: string;
  kube: KubeClients;
  apps: AppsV1Api;
  log: Logger;
  lines: string[];
  helmEnv: Record<string, string>;
  manager(now?: () => Date): EnvironmentManager;
  /** What the deploy stage does: prepare, helm upgrade --install under the lock, record. */
  deploy(pipeline: Pipeline, branch: string, opts?: { host?: string; manager?: EnvironmentManager }): Promise<{ namespace: string; id: string }>;
  helmStatus(release: string, namespace: string): Promise<{ status: string; revision: number } | undefined>;
  /** Namespaces to delete at the end (whatever the test left). */
  track(namespace: string): void;
  cleanup(): Promise<void>;
}

export async function envHarness(): Promise<EnvHarness> {
  const r = await testRedis();
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  const kube = kubeClients(kc);
  const { log, lines } = capturedLogger();
  const helmEnv = { KUBECONFIG: testenv().kubeconfig };
  const namespaces = new Set<string>();
  const h: EnvHarness = {
    redis: r.redis,
    keys: r.keys,
    bullPrefix: r.bullPrefix,
    kube,
    apps: kc.makeApiClient(AppsV1Api),
    log,
    lines,
    helmEnv,
    manager: (now) => createEnvironmentManager({ redis: r.redis, keys: r.keys, kube, log, ...(now ? { now } : {}) }),
    async deploy(base, branch, opts = {}) {
      const { pipeline, profile } = effectivePipeline(base, branch);
      const manager = opts.manager ?? h.manager();
      const build = fakeBuild(pipeline.metadata.name, branch);
      const input = { pipeline, branch, build, ...(profile ? { profile } : {}) };
      const releases = pipeline.deploy.helm!.releases.map((rel) => rel.name);
      const prepared = await manager.prepare({ ...input, releases });
      namespaces.add(prepared.namespace);
      await withNamespaceLock(r.redis, r.keys, prepared.namespace, async () => {
        for (const rel of pipeline.deploy.helm!.releases) {
          await exec(
            [testenv().helm, 'upgrade', '--install', rel.name, rel.chartPath, '--namespace', prepared.namespace, '--wait', '--timeout', '2m', '--set', `host=${opts.host ?? `${prepared.namespace}.example.test`}`],
            { env: helmEnv, timeoutMs: 180_000 },
          );
        }
        await manager.recordDeploy({ ...input, namespace: prepared.namespace, releases });
      });
      return prepared;
    },
    async helmStatus(release, namespace) {
      const res = await exec([testenv().helm, 'status', release, '--namespace', namespace, '-o', 'json'], { env: helmEnv, allowFailure: true });
      if (res.exitCode !== 0) return undefined;
      const parsed = JSON.parse(res.stdout) as { version: number; info: { status: string } };
      return { status: parsed.info.status, revision: parsed.version };
    },
    track: (ns) => void namespaces.add(ns),
    async cleanup() {
      for (const ns of namespaces) await deleteNamespace(kube, ns).catch(() => undefined);
      await r.cleanup();
    },
  };
  return h;
}
