// `slipway dev`'s loop: the working directory is the source (uncommitted changes included, no
// checkout); build (unchanged artifacts are left alone), test (unless --skip-tests), deploy into a personal namespace, then
// watch the files and go again on every change to one the plan depends on (the target says which:
// dependencies.ts; a file a test writes elsewhere starts nothing). What one iteration builds and deploys is the
// target's plan (plan-target.ts; of a Slipway pipeline, native-target.ts, or a skaffold.yaml,
// skaffold-target.ts); the loop owns the rest: the watcher and its debounce, the iteration's
// build scope, the namespace, failures (--keep-running-on-failure) and the cleanup. No server, no Redis: the namespace is
// this loop's, nobody else deploys there.
import { watch, type FSWatcher } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorMessage } from '../../core/errors.ts';
import { nowIso } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { BuildRecord, ImageRecord } from '../../core/records.ts';
import type { ImagePullSecret, Pipeline } from '../../pipelines/schema.ts';
import type { HelmOptions } from '../deployers/helm.ts';
import type { DeployTarget } from '../deployers/types.ts';
import { deleteNamespace, ensureNamespace, helmReleaseStatus, workloadReader, type KubeClients } from '../environments/kube.ts';
import { toLabelValue } from '../environments/namespace.ts';
import { ensurePullSecret, readPullSecret } from '../environments/pull-secret.ts';
import type { EnvironmentManager } from '../environments/types.ts';
import type { Exec } from '../exec.ts';
import { createGit } from '../git.ts';
import { createSecrets } from '../mask.ts';
import type { RegistryClient } from '../registry/registry-client.ts';
import type { Sandbox } from '../sandbox.ts';
import type { BuildScope, Checkout } from '../stages/types.ts';

/** One iteration as the loop hands it to the target. */
export interface DevIteration {
  /** The iteration's build scope: its pipeline is the target's, its number the iteration's. */
  scope: BuildScope;
  /** The working directory (no commit: sha ''). */
  checkout: Checkout;
  namespace: string;
  /** dev's tags, never a CI build's: `dev-<user>-<session>-{{ .BuildNumber }}`. */
  tagTemplate: string;
  /** --skip-tests: the plan's tests are not run (nor their tools looked for). */
  skipTests: boolean;
  /** Creates the namespace (the first time) and its pull secret; before any deploy. */
  prepareNamespace(pullSecret?: ImagePullSecret): Promise<void>;
  /** Where deploys go: the namespace, the working directory, the exec door without the loop's signal. */
  deployTarget(): DeployTarget;
  helm: HelmOptions;
  /** For the helm deployers' release status (pending-* repair); records nothing. */
  environments: EnvironmentManager;
}

/** What the loop gives a target to remove what it deployed (before a namespace the loop created is deleted). */
export interface DevCleanup {
  namespace: string;
  /** The exec door, its output not shown. */
  run: Exec;
  helm: HelmOptions;
  out(line: string): void;
}

/** What `slipway dev` builds and deploys on each iteration. */
export interface DevTarget {
  /** The pipeline the iterations' build scope carries (its name labels the namespace). */
  readonly pipeline: Pipeline;
  /**
   * What of the plan depends on `file` (relative to the working directory), e.g. `artifact app`:
   * a change to it starts the next iteration; undefined: nothing does, and the change is let be.
   */
  dependent(file: string): string | undefined;
  /** Builds, tests (unless `it.skipTests`), then deploys into `it.namespace`; `deployed` false when there is nothing to deploy. */
  iterate(it: DevIteration): Promise<{ images: ImageRecord[]; deployed: boolean }>;
  /** Removes what the iterations deployed; failures are reported through `out`, not thrown. */
  cleanup(c: DevCleanup): Promise<void>;
}

export interface DevLoopOptions {
  /** The working directory: the source, and what is watched. */
  dir: string;
  target: DevTarget;
  namespace: string;
  user: string;
  keepRunningOnFailure: boolean;
  /** --skip-tests: build and deploy without running the plan's tests (default false: they run after each build). */
  skipTests?: boolean;
  /** Remove what the loop deployed when it ends (default true). */
  cleanup: boolean;
  exec: Exec;
  kube: KubeClients;
  log: Logger;
  helm?: HelmOptions;
  registry?: RegistryClient;
  /** Where a skaffold.yaml's custom build commands run (as under `slipway run`); default bubblewrap. */
  sandbox?: Sandbox;
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

/** `app/page.txt (artifact app), k8s/app.yaml (manifests k8s/*.yaml) and 3 more`. */
function describeChanges(changes: ReadonlyMap<string, string>): string {
  const shown = [...changes].slice(0, 3).map(([file, what]) => `${file} (${what})`);
  return `${shown.join(', ')}${changes.size > shown.length ? ` and ${changes.size - shown.length} more` : ''}`;
}

export async function devLoop(o: DevLoopOptions): Promise<number> {
  const session = Date.now().toString(36);
  const tagTemplate = `dev-${toLabelValue(o.user)}-${session}-{{ .BuildNumber }}`;
  const { pipeline } = o.target;
  const scratch = await mkdtemp(path.join(tmpdir(), 'slipway-dev-'));
  const checkout: Checkout = { sha: '', mirror: '', workspace: o.dir };
  const secrets = createSecrets();
  // images built or reused by this loop, by input digest: an artifact whose inputs did not change
  // keeps its reference from one iteration to the next, so its workload is not rolled again
  const keptImages = new Map<string, ImageRecord>();
  let createdNamespace = false;
  let namespaceReady = false;
  const helm = o.helm ?? {};
  const environments: EnvironmentManager = {
    // the namespace is the loop's own: no records, no lock
    prepare: async () => ({ id: o.namespace, namespace: o.namespace }),
    recordDeploy: () => Promise.reject(new Error('not recorded in dev')),
    recordFailure: async () => undefined,
    releaseStatus: (namespace, release) => helmReleaseStatus(o.kube, namespace, release),
    workloads: workloadReader(o.kube),
  };
  const run: Exec = (argv, options = {}) => o.exec(argv, { ...options, secrets: [...secrets.values(), ...(options.secrets ?? [])], onLine: options.onLine ?? ((l) => o.out(l)) });
  const prepareNamespace = async (pullSecret?: ImagePullSecret) => {
    if (namespaceReady) return;
    const ns = await ensureNamespace(o.kube, o.namespace, { pipeline: pipeline.metadata.name, environment: toLabelValue(`dev.${o.namespace}`), branch: `dev-${o.user}`, dev: true });
    createdNamespace ||= ns.created;
    if (pullSecret) await ensurePullSecret(o.kube, o.namespace, await readPullSecret(pullSecret, o.env ?? process.env));
    namespaceReady = true;
  };

  const iteration = async (n: number): Promise<IterationResult & { deployed: boolean }> => {
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
      deps: {
        exec: o.exec,
        git: createGit({ workdir: scratch }),
        workdir: scratch,
        log: o.log,
        keptImages,
        ...(o.registry ? { registry: o.registry } : {}),
        ...(o.sandbox ? { sandbox: o.sandbox } : {}),
        ...(o.env ? { env: o.env } : {}),
      },
      build: record,
      pipeline,
      signal: o.signal,
      secrets,
      line: (text) => o.out(secrets.mask(text)),
      run: (argv, options = {}) => run(argv, { signal: o.signal, ...options }),
      update: async () => undefined,
    };
    try {
      const { images, deployed } = await o.target.iterate({
        scope,
        checkout,
        namespace: o.namespace,
        tagTemplate,
        skipTests: o.skipTests ?? false,
        prepareNamespace,
        // a started deploy finishes: no cancel signal
        deployTarget: () => ({ namespace: o.namespace, workspace: o.dir, run: (argv, options = {}) => run(argv, options), line: (t) => o.out(t) }),
        helm,
        environments,
      });
      return { n, ok: true, images, deployed, ms: Date.now() - started };
    } catch (err) {
      return { n, ok: false, images: [], deployed: false, error: secrets.mask(errorMessage(err)), ms: Date.now() - started };
    }
  };

  // changes are noted from the start, so one made during the first build is not lost; only a
  // change to what the plan depends on counts (target.dependent): a file a test writes elsewhere,
  // .slipway/ or .git/ starts nothing
  let changed = false;
  /** The changes since the last iteration started: file → what depends on it. */
  const changes = new Map<string, string>();
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(o.dir, { recursive: true }, (_event, file) => {
    if (!file) return;
    const rel = String(file).split(path.sep).join('/');
    const what = o.target.dependent(rel);
    if (!what) return;
    changes.set(rel, what);
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
      if (changes.size) o.out(`[dev] changed: ${describeChanges(changes)}`);
      changes.clear();
      o.out(`[dev] iteration ${n}: building`);
      const { deployed, ...result } = await iteration(n);
      o.onIteration?.(result);
      if (result.ok) o.out(`[dev] iteration ${n}: ${deployed ? `deployed to namespace ${o.namespace}` : 'built'} in ${result.ms} ms; watching ${o.dir}`);
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
      const quiet: Exec = (argv, options = {}) => run(argv, { ...options, onLine: () => undefined });
      await o.target.cleanup({ namespace: o.namespace, run: quiet, helm, out: o.out }).catch((err: unknown) => o.out(`[dev] cleanup failed: ${errorMessage(err)}`));
      if (createdNamespace) await deleteNamespace(o.kube, o.namespace).catch((err: unknown) => o.out(`[dev] could not delete namespace ${o.namespace}: ${errorMessage(err)}`));
    }
    await rm(scratch, { recursive: true, force: true });
  }
  return code;
}
