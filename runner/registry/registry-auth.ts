// The runner's registry credentials, from the files buildah, skopeo and docker read:
// REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json, else
// $DOCKER_CONFIG/config.json (~/.docker/config.json). Entries are `auths.<key>.auth`
// (base64 user:password) or `identitytoken`; keys may be a host, a host/namespace (the most
// specific wins) or a URL (https://index.docker.io/v1/ for Docker Hub). Credential helpers
// (credsStore, credHelpers) are not run: such a registry is asked anonymously.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DOCKER_HUB, type ImageName } from './image-name.ts';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker login with an identity provider). */
  identityToken?: string;
}

export const AuthFile = z.object({
  auths: z
    .record(
      z.string(),
      z.object({ auth: z.string().optional(), identitytoken: z.string().optional(), username: z.string().optional(), password: z.string().optional() }),
    )
    .default({}),
});
export type AuthFile = z.infer<typeof AuthFile>;

/** The auth files to look in, first existing one wins (as containers/image reads them). */
export function authFileCandidates(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? homedir();
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) return [env.REGISTRY_AUTH_FILE];
  if (env.XDG_RUNTIME_DIR) files.push(path.join(env.XDG_RUNTIME_DIR, 'containers/auth.json'));
  files.push(path.join(env.DOCKER_CONFIG ?? path.join(home, '.docker'), 'config.json'));
  return files;
}

function normaliseKey(key: string): string {
  let k = key.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (k === 'index.docker.io/v1' || k === 'index.docker.io' || k === 'registry-1.docker.io') k = DOCKER_HUB;
  return k;
}

function decode(entry: AuthFile['auths'][string]): RegistryCredentials | undefined {
  if (entry.identitytoken) return { identityToken: entry.identitytoken };
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  if (!entry.auth) return undefined;
  const text = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The entry for `name` in a parsed auth file: the longest key that is its host or a path prefix. */
export function credentialsFrom(file: AuthFile, name: ImageName): RegistryCredentials | undefined {
  const full = `${name.registry}/${name.repository}`;
  let best: { len: number; creds: RegistryCredentials } | undefined;
  for (const [key, entry] of Object.entries(file.auths)) {
    const k = normaliseKey(key);
    if (k !== full && k !== name.registry && !full.startsWith(`${k}/`)) continue;
    if (!k.startsWith(name.registry)) continue;
    const creds = decode(entry);
    if (creds && (!best || k.length > best.len)) best = { len: k.length, creds };
  }
  return best?.creds;
}

/** Reads the first auth file that exists; a file that is not valid JSON counts as none. */
export async function loadCredentials(name: ImageName, env: NodeJS.ProcessEnv = process.env): Promise<RegistryCredentials | undefined> {
  for (const file of authFileCandidates(env)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    const parsed = AuthFile.safeParse(json);
    return parsed.success ? credentialsFrom(parsed.data, name) : undefined;
  }
  return undefined;
}
