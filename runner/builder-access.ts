// What a custom build command gets of the runner to build and push (runner/sandbox.ts
// `BuilderAccess`), derived from the runner's environment and nothing else of it:
// - the container storage read-write: graphroot and runroot from the file CONTAINERS_STORAGE_CONF
//   names ([storage] table), else buildah's defaults /var/lib/containers/storage and
//   /run/containers/storage;
// - the configuration files read-only: CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF, the
//   system's /etc/containers/storage.conf, registries.conf and registries.conf.d (short names such
//   as `node` resolve through its shortnames.conf) where they exist, and the signature policy
//   /etc/containers/policy.json (buildah refuses to pull without one); not /etc/containers/certs.d
//   (registry client keys) nor anything else of /etc/containers;
// - the registry auth file read-only: REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json;
// - the environment: CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF, BUILDAH_ISOLATION=chroot
//   and STORAGE_DRIVER when set.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import type { BuilderAccess } from './sandbox.ts';

export const DEFAULT_GRAPHROOT = '/var/lib/containers/storage';
export const DEFAULT_RUNROOT = '/run/containers/storage';
export const POLICY_FILE = '/etc/containers/policy.json';
/** The system's containers configuration buildah reads when no variable names another. */
export const SYSTEM_CONFIG = ['/etc/containers/storage.conf', '/etc/containers/registries.conf', '/etc/containers/registries.conf.d'];

/** One TOML string value (basic "…" with escapes, or literal '…'), the rest of the line after `=`. */
function tomlString(raw: string, where: string): string {
  const s = raw.trim();
  if (s.startsWith("'")) {
    const end = s.indexOf("'", 1);
    if (end < 0) throw new ConfigError(`${where}: unterminated string`);
    return s.slice(1, end);
  }
  if (s.startsWith('"')) {
    let out = '';
    for (let i = 1; i < s.length; i++) {
      const c = s[i]!;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const n = s[++i];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
      if (n !== undefined && n in simple) out += simple[n];
      else if (n === 'u' || n === 'U') {
        const len = n === 'u' ? 4 : 8;
        const hex = s.slice(i + 1, i + 1 + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new ConfigError(`${where}: bad escape`);
        out += String.fromCodePoint(parseInt(hex, 16));
        i += len;
      } else throw new ConfigError(`${where}: bad escape`);
    }
    throw new ConfigError(`${where}: unterminated string`);
  }
  throw new ConfigError(`${where}: expected a quoted string`);
}

/** graphroot and runroot of a storage.conf's [storage] table (only those two keys are read). */
export function storageRoots(text: string, file = 'storage.conf'): { graphroot?: string; runroot?: string } {
  const out: { graphroot?: string; runroot?: string } = {};
  let table = '';
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const header = /^\[\s*([^\]]*?)\s*\]/.exec(t);
    if (header && !t.startsWith('[[')) {
      table = header[1]!.replace(/["']/g, '');
      return;
    }
    if (t.startsWith('[[')) {
      table = '[[array]]';
      return;
    }
    if (table !== 'storage') return;
    const kv = /^(graphroot|runroot)\s*=(.*)$/.exec(t);
    if (kv) out[kv[1] as 'graphroot' | 'runroot'] = tomlString(kv[2]!, `${file}:${i + 1}: ${kv[1]}`);
  });
  return out;
}

/** The BuilderAccess of a runner with environment `env` (a custom build command's only view of it). */
export function builderAccessFromEnv(env: NodeJS.ProcessEnv = process.env): BuilderAccess {
  const storageConf = env.CONTAINERS_STORAGE_CONF || undefined;
  const registriesConf = env.CONTAINERS_REGISTRIES_CONF || undefined;
  let roots: { graphroot?: string; runroot?: string } = {};
  if (storageConf) {
    let text: string;
    try {
      text = readFileSync(storageConf, 'utf8');
    } catch (err) {
      throw new ConfigError(`CONTAINERS_STORAGE_CONF names ${storageConf}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    roots = storageRoots(text, storageConf);
  }
  const storage = [roots.graphroot || DEFAULT_GRAPHROOT, roots.runroot || DEFAULT_RUNROOT];
  const config = [...new Set([storageConf, registriesConf, ...SYSTEM_CONFIG, POLICY_FILE])].filter((f): f is string => f !== undefined && existsSync(f));
  const authCandidate = env.REGISTRY_AUTH_FILE || (env.DOCKER_CONFIG ? path.join(env.DOCKER_CONFIG, 'config.json') : undefined);
  const authFile = authCandidate && existsSync(authCandidate) ? authCandidate : undefined;
  const builderEnv: Record<string, string> = { BUILDAH_ISOLATION: 'chroot' };
  if (storageConf) builderEnv.CONTAINERS_STORAGE_CONF = storageConf;
  if (registriesConf) builderEnv.CONTAINERS_REGISTRIES_CONF = registriesConf;
  if (env.STORAGE_DRIVER) builderEnv.STORAGE_DRIVER = env.STORAGE_DRIVER;
  return { storage, config, env: builderEnv, ...(authFile ? { authFile } : {}) };
}

/** Creates the storage directories buildah would create itself (a fresh host has no /run/containers/storage): they are bound into the sandbox, so they must exist. */
export async function ensureStorage(access: BuilderAccess): Promise<void> {
  for (const dir of access.storage) await mkdir(dir, { recursive: true, mode: 0o700 });
}
