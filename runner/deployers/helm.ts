// helm, the one module that knows its commands: version detection (helm 4 says
// --rollback-on-failure where helm 3 says --atomic), the exact `helm upgrade --install`,
// rollback and uninstall argv, the repair of a release stuck in pending-*, and the uninstall of a
// teardown. The Deployer that runs them for a plan's helm releases is helm-plan.ts.
import { ChildProcessError, DeployError, errorMessage } from '../../core/errors.ts';
import type { Run } from './types.ts';

export type { Run } from './types.ts';

/** Probes (version, status, history) print JSON nobody wants in the build log. */
const quiet = (): void => undefined;

/** How this runner runs helm. */
export interface HelmOptions {
  /** The helm binary; default 'helm' on PATH. */
  bin?: string;
  /** Extra environment for helm (e.g. KUBECONFIG). */
  env?: Record<string, string | undefined>;
  /** How long an uninstall may take (teardown). Default 5 minutes. */
  timeoutMs?: number;
}

export interface UpgradeInput {
  helm: string;
  major: number;
  release: string;
  chart: string;
  namespace: string;
  /** helm duration, e.g. 5m */
  timeout: string;
  atomic: boolean;
  valuesFiles: string[];
  setValues: Record<string, string>;
  /** Further flags (e.g. --set-file, --post-renderer), after the values. */
  extraFlags?: string[];
}

export function upgradeArgv(i: UpgradeInput): string[] {
  const rollback = i.atomic ? [i.major >= 4 ? '--rollback-on-failure' : '--atomic'] : [];
  return [
    i.helm,
    'upgrade',
    '--install',
    i.release,
    i.chart,
    '--namespace',
    i.namespace,
    '--create-namespace',
    ...rollback,
    '--wait',
    '--timeout',
    i.timeout,
    ...i.valuesFiles.flatMap((f) => ['--values', f]),
    ...Object.entries(i.setValues).flatMap(([k, v]) => ['--set-string', `${k}=${v}`]),
    ...(i.extraFlags ?? []),
  ];
}

/** `helm uninstall` of one release, waiting for its resources to go. */
export function uninstallArgv(helm: string, release: string, namespace: string, timeout: string): string[] {
  return [helm, 'uninstall', release, '--namespace', namespace, '--wait', '--timeout', timeout];
}

/** `helm rollback` of a release to `revision`. */
export function rollbackArgv(helm: string, release: string, revision: number, namespace: string, timeout: string): string[] {
  return [helm, 'rollback', release, String(revision), '--namespace', namespace, '--wait', '--timeout', timeout];
}

function notFound(err: unknown): boolean {
  if (!(err instanceof ChildProcessError)) return false;
  return /not found/i.test([...err.tail, err.message].join('\n'));
}

/**
 * Uninstalls a release (teardown); resolves false when helm says there is no such release.
 * `options.timeoutMs` bounds helm's wait (default 5 minutes); the command gets 30 s more.
 */
export async function uninstallRelease(run: Run, options: HelmOptions, release: string, namespace: string): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const argv = uninstallArgv(options.bin ?? 'helm', release, namespace, `${Math.ceil(timeoutMs / 1000)}s`);
  try {
    await run(argv, { env: options.env ?? {}, timeoutMs: timeoutMs + 30_000 });
    return true;
  } catch (err) {
    if (notFound(err)) return false;
    throw err;
  }
}

/** The major version of the helm binary (3 or 4). */
export async function helmMajor(run: Run, helm: string): Promise<number> {
  const res = await run([helm, 'version', '--template', '{{.Version}}'], { onLine: quiet });
  const m = /v?(\d+)\./.exec(res.stdout.trim());
  if (!m) throw new DeployError(`cannot tell the version of helm from ${JSON.stringify(res.stdout.trim())}`);
  return Number(m[1]);
}

const majors = new Map<string, Promise<number>>();

/**
 * helmMajor, asked once per process for each helm (the binary, its environment and PATH): a
 * runner asks at its first deploy, `slipway run` when its deploy starts. A failed probe is
 * asked again next time.
 */
export function cachedHelmMajor(run: Run, helm: string, env: Record<string, string | undefined> = {}): Promise<number> {
  const key = JSON.stringify([helm, env, 'PATH' in env ? env.PATH : process.env.PATH]);
  let major = majors.get(key);
  if (!major) {
    major = helmMajor(run, helm);
    majors.set(key, major);
    major.catch(() => majors.delete(key));
  }
  return major;
}

interface HistoryEntry {
  revision: number;
  status: string;
}

/** `helm status`: the release's status, undefined when there is no such release. */
async function statusFromHelm(run: Run, helm: string, release: string, namespace: string): Promise<string | undefined> {
  const status = await run([helm, 'status', release, '--namespace', namespace, '--output', 'json'], { allowFailure: true, onLine: quiet });
  if (status.exitCode !== 0) return undefined; // no such release yet
  try {
    return (JSON.parse(status.stdout) as { info?: { status?: string } }).info?.status;
  } catch {
    return undefined;
  }
}

/**
 * A release left in pending-install/upgrade/rollback (helm killed mid-way) blocks every later
 * upgrade. Roll it back to its last deployed revision, or uninstall it if it never deployed.
 * Returns what was done, for the build log. `readStatus` reads the release's status without
 * starting helm (from its record in the cluster); without it, or when it fails, `helm status`.
 */
export async function repairRelease(
  run: Run,
  helm: string,
  release: string,
  namespace: string,
  timeout: string,
  readStatus?: () => Promise<string | undefined>,
): Promise<string | undefined> {
  const state = readStatus
    ? await readStatus().catch(() => statusFromHelm(run, helm, release, namespace))
    : await statusFromHelm(run, helm, release, namespace);
  if (!state?.startsWith('pending-')) return undefined;

  const hist = await run([helm, 'history', release, '--namespace', namespace, '--output', 'json', '--max', '50'], { onLine: quiet });
  const entries = (JSON.parse(hist.stdout) as HistoryEntry[]).sort((a, b) => b.revision - a.revision);
  const good = entries.find((e) => e.status === 'deployed') ?? entries.find((e) => e.status === 'superseded');
  if (good) {
    await run(rollbackArgv(helm, release, good.revision, namespace, timeout));
    return `release ${release} was stuck in ${state}: rolled back to revision ${good.revision}`;
  }
  await run(uninstallArgv(helm, release, namespace, timeout));
  return `release ${release} was stuck in ${state} and never deployed: uninstalled`;
}

/** The last line of helm's output that says what went wrong. */
export function helmReason(err: unknown): string {
  const tail = (err as { tail?: string[] }).tail;
  const lines = (tail ?? errorMessage(err).split('\n')).filter((l) => /error|failed|timed out|context deadline/i.test(l));
  return (lines.at(-1) ?? errorMessage(err).split('\n')[0] ?? 'helm failed').replace(/^Error:\s*/, '');
}
