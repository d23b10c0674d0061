// The runner's own credentials, masked in every build log besides the pipelines' secrets: the
// registry logins (REGISTRY_AUTH_FILE, containers' auth.json, DOCKER_CONFIG's config.json: each
// `auth`, its password, identity tokens), the Kubernetes credentials of the kubeconfig (tokens,
// passwords, client keys, auth-provider tokens), and the password of the Redis URL. A step never
// sees these (runner/sandbox.ts), but a tool the runner itself runs (buildah, helm) may print them.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { urlCredentials } from '../core/repo-url.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (...vs: unknown[]): string[] => vs.filter((v): v is string => typeof v === 'string' && v !== '');

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The registry auth files buildah, skopeo, podman and docker read, in their order. */
export function registryAuthFiles(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME || homedir();
  const files = [
    env.REGISTRY_AUTH_FILE,
    env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json') : undefined,
    path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers', 'auth.json'),
    path.join(env.DOCKER_CONFIG || path.join(home, '.docker'), 'config.json'),
  ];
  return [...new Set(files.filter((f): f is string => !!f))];
}

/** The kubeconfig files kubectl and helm read. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv): string[] {
  if (env.KUBECONFIG) return env.KUBECONFIG.split(path.delimiter).filter(Boolean);
  return [path.join(env.HOME || homedir(), '.kube', 'config')];
}

/** Secrets of a registry auth file (`{ auths: { host: { auth, identitytoken, registrytoken } } }`). */
export function registryAuthSecrets(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  if (!isObject(doc) || !isObject(doc.auths)) return [];
  const out: string[] = [];
  for (const entry of Object.values(doc.auths)) {
    if (!isObject(entry)) continue;
    out.push(...strings(entry.auth, entry.identitytoken, entry.registrytoken, entry.password));
    if (typeof entry.auth === 'string') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon !== -1) out.push(decoded, decoded.slice(colon + 1));
    }
  }
  return out;
}

/** The base64 body lines of a PEM key (a log shows a key line by line). */
function pemSecrets(pem: string): string[] {
  const body = pem
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('-----'));
  return body.length ? [body.join(''), ...body.filter((l) => l.length >= 16)] : [];
}

/** Secrets of a kubeconfig: user tokens, passwords, client keys (inline or in files), auth-provider tokens. */
export async function kubeconfigSecrets(text: string, dir: string): Promise<string[]> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return [];
  }
  if (!isObject(doc) || !Array.isArray(doc.users)) return [];
  const out: string[] = [];
  for (const u of doc.users) {
    const user = isObject(u) && isObject(u.user) ? u.user : undefined;
    if (!user) continue;
    out.push(...strings(user.token, user.password));
    if (typeof user['client-key-data'] === 'string') {
      out.push(user['client-key-data'], ...pemSecrets(Buffer.from(user['client-key-data'], 'base64').toString('utf8')));
    }
    for (const [key, parse] of [
      ['client-key', pemSecrets],
      ['tokenFile', (t: string) => strings(t.trim())],
    ] as const) {
      const file = user[key];
      if (typeof file !== 'string' || !file) continue;
      const content = await readText(path.resolve(dir, file));
      if (content) out.push(...parse(content));
    }
    const provider = isObject(user['auth-provider']) && isObject(user['auth-provider'].config) ? user['auth-provider'].config : undefined;
    if (provider) out.push(...strings(provider['access-token'], provider['refresh-token'], provider['id-token'], provider['client-secret']));
  }
  return out;
}

/** Everything above for this runner; `more` are known already (the Redis connection's password). */
export async function runnerSecrets(env: NodeJS.ProcessEnv, more: (string | undefined)[] = []): Promise<string[]> {
  const out: string[] = [...strings(...more), ...(env.SLIPWAY_REDIS_URL ? urlCredentials(env.SLIPWAY_REDIS_URL) : [])];
  for (const file of registryAuthFiles(env)) {
    const text = await readText(file);
    if (text) out.push(...registryAuthSecrets(text));
  }
  for (const file of kubeconfigFiles(env)) {
    const text = await readText(file);
    if (text) out.push(...(await kubeconfigSecrets(text, path.dirname(file))));
  }
  return [...new Set(out)];
}
