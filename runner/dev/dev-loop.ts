// `slipway dev`'s loop on a native pipeline: the working directory is the source (uncommitted
// changes included, no checkout); build (the build cache leaves unchanged artifacts alone), deploy
// into a personal namespace, then watch the files and go again on every change. No server, no
// Redis: the namespace is this loop's, nobody else deploys there.
import { watch, type FSWatcher } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorMessage } from '../../core/errors.ts';
import { nowIso } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { BuildRecord, ImageRecord } from '../../core/records.ts';
import { withDefaultRepo } from '../../pipelines/default-repo.ts';
import type { Pipeline } from '../../pipelines/schema.ts';
import { deployersFor } from '../deployers/deployers-for.ts';
import { uninstallRelease, type HelmOptions } from '../deployers/helm.ts';
import { deleteNamespace, ensureNamespace, helmReleaseStatus, type KubeClients } from '../environments/kube.ts';
import { toLabelValue } from '../environments/namespace.ts';
import { ensurePullSecret, readPullSecret } from '../environments/pull-secret.ts';
import type { EnvironmentManager } from '../environments/types.ts';
import type { Exec } from '../exec.ts';
import { createGit } from '../git.ts';
import { createSecrets } from '../mask.ts';
import type { RegistryClient } from '../registry/registry-client.ts';
import { buildStage } from '../stages/build.ts';
import { templateVars } from '../stages/template-vars.ts';
import type { BuildScope, Checkout } from '../stages/types.ts';

export interface DevLoopOptions {
  /** The working directory: the source. */
  dir: string;
  pipeline: Pipeline;
  namespace: string;
  user: string;
  keepRunningOnFailure: boolean;
  /** Remove what the loop deployed when it ends (default true). */
  cleanup: boolean;
  exec: Exec;
  kube: KubeClients;
  log: Logger;
  helm?: HelmOptions;
  registry?: RegistryClient;
  defaultRepo?: string;
  env?: NodeJS.ProcessEnv;
  /** Ctrl-C: stops watching, cleans up, resolves 0. */
  signal: AbortSignal;
  out(line: string): void;
  /** Quiet time after the last change before an iteration starts. */
  debounceMs?: number;
  /** Told after each iteration. */
  onIteration?(result: IterationResult): void;
}

export interface IterationResult {
  n: number;
  ok: boolean;
  images: ImageRecord[];
  error?: string;
  ms: number;
}

const IGNORED = /(^|\/)(\.git|node_modules|\.slipway)(\/|$)/;

export async function devLoop(o: DevLoopOptions): Promise<number> {
  const session = Date.now().toString(36);
  const pipeline = withDefaultRepo(
    {
      ...o.pipeline,
      // dev tags never meet a CI build's numbers: dev-<user>-<session>-<iteration>
      build: { ...o.pipeline.build, tagPolicy: { template: `dev-${toLabelValue(o.user)}-${session}-{{ .BuildNumber }}` } },
    },
    o.defaultRepo,
  );
  const scratch = await mkdtemp(path.join(tmpdir(), 'slipway-dev-'));
  const checkout: Checkout = { sha: '', mirror: '', workspace: o.dir };
  const secrets = createSecrets();
  let createdNamespace = false;
  const deployed = new Set<string>();
  const helmOptions = o.helm ?? {};
  const environment: EnvironmentManager = {
    // the namespace is the loop's own: no records, no lock
    prepare: async () => ({ id: o.namespace, namespace: o.namespace }),
    recordDeploy: () => Promise.reject(new Error('not recorded in dev')),
    recordFailure: async () => undefined,
    releaseStatus: (namespace, release) => helmReleaseStatus(o.kube, namespace, release),
  };
  const run: Exec = (argv, options = {}) => o.exec(argv, { ...options, secrets: [...secrets.values(), ...(options.secrets ?? [])], onLine: options.onLine ?? ((l) => o.out(l)) });

  const iteration = async (n: number): Promise<IterationResult> => {
    const started = Date.now();
    const record: BuildRecord = {
      id: `dev-${session}-${n}`,
      pipeline: pipeline.metadata.name,
      number: n,
      status: 'running',
      trigger: { type: 'manual', by: 'slipway dev' },
      repo: o.dir,
      branch: `dev-${o.user}`,
      sha: '',
      createdAt: nowIso(),
      stages: [],
      images: [],
    };
    const scope: BuildScope = {
      deps: { exec: o.exec, git: createGit({ workdir: scratch }), workdir: scratch, log: o.log, ...(o.registry ? { registry: o.registry } : {}), ...(o.env ? { env: o.env } : {}) },
      build: record,
      pipeline,
      signal: o.signal,
      secrets,
      line: (text) => o.out(secrets.mask(text)),
      run: (argv, options = {}) => run(argv, { signal: o.signal, ...options }),
      update: async () => undefined,
    };
    try {
      const { images } = await buildStage(scope, { checkout });
      if (pipeline.deploy.helm) {
        if (!createdNamespace) {
          const ns = await ensureNamespace(o.kube, o.namespace, { pipeline: pipeline.metadata.name, environment: toLabelValue(`dev.${o.namespace}`), branch: `dev-${o.user}` });
          createdNamespace = ns.created;
          const spec = pipeline.environment.imagePullSecret;
          if (spec) await ensurePullSecret(o.kube, o.namespace, await readPullSecret(spec, o.env ?? process.env));
        }
        const vars = templateVars(scope, { sha: '', images, namespace: o.namespace });
        // a started deploy finishes: no cancel signal
        const target = { namespace: o.namespace, workspace: o.dir, vars, run: (argv: string[], options = {}) => run(argv, options), line: (t: string) => o.out(t) };
        for (const d of deployersFor(pipeline.deploy, target, { helm: helmOptions, environments: environment })) {
          for (const r of d.releases) deployed.add(r);
          await d.deploy();
        }
      }
      return { n, ok: true, images, ms: Date.now() - started };
    } catch (err) {
      return { n, ok: false, images: [], error: secrets.mask(errorMessage(err)), ms: Date.now() - started };
    }
  };

  // changes are noted from the start, so one made during the first build is not lost
  let changed = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(o.dir, { recursive: true }, (_event, file) => {
    if (file && IGNORED.test(String(file))) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      changed = true;
      wake?.();
    }, o.debounceMs ?? 200);
  });
  const onAbort = () => wake?.();
  o.signal.addEventListener('abort', onAbort);

  let code = 0;
  try {
    for (let n = 1; !o.signal.aborted; n++) {
      changed = false;
      o.out(`[dev] iteration ${n}: building`);
      const result = await iteration(n);
      o.onIteration?.(result);
      if (result.ok) o.out(`[dev] iteration ${n}: ${pipeline.deploy.helm ? `deployed to namespace ${o.namespace}` : 'built'} in ${result.ms} ms; watching ${o.dir}`);
      else {
        o.out(`[dev] iteration ${n} failed: ${result.error}`);
        if (!o.keepRunningOnFailure && !o.signal.aborted) {
          code = 1;
          break;
        }
        o.out('[dev] still watching (--keep-running-on-failure)');
      }
      if (!changed && !o.signal.aborted) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    watcher.close();
    clearTimeout(timer);
    o.signal.removeEventListener('abort', onAbort);
    if (o.cleanup) {
      o.out(`[dev] cleaning up namespace ${o.namespace}`);
      const cleanupRun: Exec = (argv, options = {}) => run(argv, { ...options, onLine: () => undefined });
      for (const r of deployed) await uninstallRelease(cleanupRun, helmOptions, r, o.namespace).catch((err: unknown) => o.out(`[dev] could not uninstall ${r}: ${errorMessage(err)}`));
      if (createdNamespace) await deleteNamespace(o.kube, o.namespace).catch((err: unknown) => o.out(`[dev] could not delete namespace ${o.namespace}: ${errorMessage(err)}`));
    }
    await rm(scratch, { recursive: true, force: true });
  }
  return code;
}
