// `slipway up --local-cluster`: starts the test environment's registry and Kubernetes control
// plane (scripts/testenv/up.sh, idempotent) and reads the addresses it wrote. The registry keeps
// its port across restarts: the port is remembered in the data folder (registry.port) and asked
// for again; a new one only when that one is taken, with a warning.
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Exec } from '../../runner/exec.ts';

export interface LocalCluster {
  kubeconfig: string;
  registry: string;
  baseImage: string;
  /** What the runner's subprocesses need: KUBECONFIG, PATH with helm, buildah's storage and registries.conf. */
  env: Record<string, string>;
  /** True when this call started it (and so stopping `up` stops it). */
  startedHere: boolean;
  stop(): Promise<void>;
}

/** KEY=VALUE lines (values optionally single-quoted), as scripts/testenv/up.sh writes them. */
export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  return vars;
}

export function readEnvFile(file: string): Record<string, string> {
  return parseEnvFile(readFileSync(file, 'utf8'));
}

/** Whether the cluster of `kubeconfig` (or the default one) answers /readyz. */
export async function kubeReachable(exec: Exec, kubeconfig: string | undefined): Promise<boolean> {
  const argv = ['kubectl', ...(kubeconfig ? ['--kubeconfig', kubeconfig] : []), '--request-timeout=3s', 'get', '--raw', '/readyz'];
  try {
    return (await exec(argv, { allowFailure: true, timeoutMs: 10_000 })).exitCode === 0;
  } catch {
    return false;
  }
}

async function alive(envFile: string, exec: Exec): Promise<boolean> {
  if (!existsSync(envFile)) return false;
  const kubeconfig = readEnvFile(envFile).KUBECONFIG;
  return kubeconfig !== undefined && kubeReachable(exec, kubeconfig);
}

export const REGISTRY_PORT_FILE = 'registry.port';

/** The registry port remembered in the data folder, if any. */
export async function rememberedRegistryPort(dataDir: string): Promise<number | undefined> {
  const text = await readFile(path.join(dataDir, REGISTRY_PORT_FILE), 'utf8').catch(() => '');
  const port = Number(text.trim());
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

/**
 * Remembers the port the registry listens on now; a warning when it is not the one remembered
 * (taken by something else, or a registry already running elsewhere was kept).
 */
export async function rememberRegistryPort(dataDir: string, registry: string, warn: (message: string) => void): Promise<void> {
  const port = Number(registry.split(':').pop());
  const before = await rememberedRegistryPort(dataDir);
  if (before !== undefined && before !== port) {
    warn(`the local registry is on port ${port}, not ${before} as before (${before} was taken): pipelines naming 127.0.0.1:${before} need the new port; the default repo follows it`);
  }
  await writeFile(path.join(dataDir, REGISTRY_PORT_FILE), `${port}\n`);
}

export interface StartLocalClusterOptions {
  root: string;
  exec: Exec;
  signal?: AbortSignal;
  onLine: (line: string) => void;
  /** Where the registry's port is remembered; default: not remembered. */
  dataDir?: string;
  /** Told when the registry could not keep its port. */
  warn?: (message: string) => void;
}

export async function startLocalCluster(opts: StartLocalClusterOptions): Promise<LocalCluster> {
  const envFile = path.join(opts.root, '.slipway/testenv.env');
  const port = opts.dataDir ? await rememberedRegistryPort(opts.dataDir) : undefined;
  const wasAlive = await alive(envFile, opts.exec);
  const down = async () => {
    await opts.exec([path.join(opts.root, 'scripts/testenv/down.sh')], { cwd: opts.root, allowFailure: true, timeoutMs: 60_000 });
  };
  try {
    await opts.exec([path.join(opts.root, 'scripts/testenv/up.sh')], {
      cwd: opts.root,
      ...(port !== undefined ? { env: { SLIPWAY_REGISTRY_PORT: String(port) } } : {}),
      onLine: (line) => opts.onLine(line),
      timeoutMs: 90 * 60_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    // Interrupted or failed half-way: stop what this call started.
    if (!wasAlive) await down();
    throw err;
  }
  const vars = readEnvFile(envFile);
  const need = (k: string): string => {
    const v = vars[k];
    if (!v) throw new Error(`scripts/testenv/up.sh wrote no ${k} to ${envFile}`);
    return v;
  };
  const registry = need('SLIPWAY_TEST_REGISTRY');
  if (opts.dataDir) await rememberRegistryPort(opts.dataDir, registry, opts.warn ?? (() => undefined));
  return {
    kubeconfig: need('KUBECONFIG'),
    registry,
    baseImage: need('SLIPWAY_TEST_BASE_IMAGE'),
    env: Object.fromEntries(
      ['KUBECONFIG', 'PATH', 'CONTAINERS_STORAGE_CONF', 'CONTAINERS_REGISTRIES_CONF'].flatMap((k) => (vars[k] ? [[k, vars[k]]] : [])),
    ),
    startedHere: !wasAlive,
    async stop() {
      if (!wasAlive) await down();
    },
  };
}
