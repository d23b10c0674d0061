// A small client of the registry HTTP API v2: read a manifest (HEAD or GET), put a manifest under
// a tag, list tags. Enough to copy a tag registry-side (GET the manifest's exact bytes, PUT them
// under another tag: same digest, nothing pulled). Authenticates as registries ask (Basic, or a
// Bearer token from the realm in WWW-Authenticate) with the runner's credentials; credentials
// never appear in errors.
import { ConfigError, UnavailableError } from '../../core/errors.ts';
import { parseImageName, registryApiBase, type ImageName } from './image-name.ts';
import { loadCredentials, type RegistryCredentials } from './registry-auth.ts';

/** What a manifest GET accepts: single images and indexes, OCI and Docker. */
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

export interface ManifestHead {
  digest: string;
  mediaType: string;
}

export interface Manifest extends ManifestHead {
  /** The exact bytes the registry holds (the digest is theirs). */
  body: Uint8Array;
}

export interface RegistryClientOptions {
  /** Credentials for the image's registry; default: the runner's auth files. */
  credentials?: (name: ImageName) => Promise<RegistryCredentials | undefined>;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RegistryClient {
  /** The manifest a tag or digest names, without its body; undefined when there is none. */
  headManifest(image: string, reference: string, signal?: AbortSignal): Promise<ManifestHead | undefined>;
  getManifest(image: string, reference: string, signal?: AbortSignal): Promise<Manifest | undefined>;
  /** Puts `manifest`'s bytes under `tag` of `image`; returns the digest the registry gives it. */
  putManifest(image: string, tag: string, manifest: Manifest, signal?: AbortSignal): Promise<string>;
  /** Points `tag` at the manifest `digest` names (in the same repository); returns the digest. */
  tagManifest(image: string, digest: string, tag: string, signal?: AbortSignal): Promise<string>;
  /** Every tag of the repository (none when it does not exist). */
  listTags(image: string, signal?: AbortSignal): Promise<string[]>;
}

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[m[1]!.toLowerCase()] = m[2]!;
  return { scheme, params };
}

function basic(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
}

export function createRegistryClient(opts: RegistryClientOptions = {}): RegistryClient {
  const doFetch = opts.fetch ?? fetch;
  const creds = opts.credentials ?? ((name: ImageName) => loadCredentials(name, opts.env ?? process.env));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  /** Authorization header per registry + repository, learnt from the last challenge. */
  const authCache = new Map<string, string>();

  async function token(name: ImageName, params: Record<string, string>, c: RegistryCredentials | undefined, signal: AbortSignal): Promise<string> {
    const realm = params.realm;
    if (!realm) throw new ConfigError(`registry ${name.registry} asked for a token without naming a realm`);
    const url = new URL(realm);
    if (params.service) url.searchParams.set('service', params.service);
    const scope = `repository:${name.repository}:pull,push`;
    let res: Response;
    try {
      if (c?.identityToken) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: 'slipway', scope });
        if (params.service) form.set('service', params.service);
        res = await doFetch(url, { method: 'POST', body: form, signal });
      } else {
        url.searchParams.set('scope', scope);
        res = await doFetch(url, { headers: c?.username ? { authorization: basic(c) } : {}, signal });
      }
    } catch (err) {
      throw new UnavailableError(`registry ${name.registry}: the token service did not answer (${(err as Error).message})`);
    }
    if (res.status === 401 || res.status === 403) throw new ConfigError(`registry ${name.registry} refused the credentials (HTTP ${res.status}); check REGISTRY_AUTH_FILE / DOCKER_CONFIG`);
    if (!res.ok) throw new UnavailableError(`registry ${name.registry}: the token service answered HTTP ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const t = body.token ?? body.access_token;
    if (!t) throw new UnavailableError(`registry ${name.registry}: the token service gave no token`);
    return `Bearer ${t}`;
  }

  /** One API call; on a 401 authenticates as the challenge says and tries once more. */
  async function call(image: string, pathAndQuery: string, init: RequestInit, outer?: AbortSignal): Promise<Response> {
    const name = parseImageName(image);
    const key = `${name.registry}/${name.repository}`;
    const url = `${registryApiBase(name.registry)}/${name.repository}/${pathAndQuery}`;
    const signal = outer ? AbortSignal.any([outer, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const send = async (auth: string | undefined): Promise<Response> => {
      try {
        return await doFetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...(auth ? { authorization: auth } : {}) }, signal, redirect: 'follow' });
      } catch (err) {
        throw new UnavailableError(`registry ${name.registry} did not answer ${init.method ?? 'GET'} ${name.repository}/${pathAndQuery} (${(err as Error).message})`);
      }
    };
    let res = await send(authCache.get(key));
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '');
      await res.body?.cancel();
      const c = await creds(name);
      let auth: string;
      if (challenge.scheme === 'bearer') auth = await token(name, challenge.params, c, signal);
      else if (c?.username) auth = basic(c);
      else throw new ConfigError(`registry ${name.registry} wants credentials for ${name.repository} and the runner has none (REGISTRY_AUTH_FILE / DOCKER_CONFIG)`);
      authCache.set(key, auth);
      res = await send(auth);
      if (res.status === 401) throw new ConfigError(`registry ${name.registry} refused the credentials for ${name.repository} (HTTP 401)`);
    }
    if (res.status >= 500) {
      await res.body?.cancel();
      throw new UnavailableError(`registry ${name.registry} answered HTTP ${res.status} to ${init.method ?? 'GET'} ${name.repository}/${pathAndQuery}`);
    }
    return res;
  }

  const unexpected = async (res: Response, what: string): Promise<never> => {
    const text = (await res.text().catch(() => '')).slice(0, 300);
    throw new ConfigError(`registry refused ${what}: HTTP ${res.status}${text ? ` ${text.trim()}` : ''}`);
  };

  async function manifest(image: string, reference: string, method: 'HEAD' | 'GET', signal?: AbortSignal): Promise<Manifest | undefined> {
    const res = await call(image, `manifests/${reference}`, { method, headers: { accept: MANIFEST_TYPES.join(', ') } }, signal);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) return unexpected(res, `${method} ${image}:${reference}`);
    const body = method === 'GET' ? new Uint8Array(await res.arrayBuffer()) : new Uint8Array();
    const digest = res.headers.get('docker-content-digest');
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!digest) throw new UnavailableError(`registry gave no Docker-Content-Digest for ${image}:${reference}`);
    return { digest, mediaType, body };
  }

  const client: RegistryClient = {
    async headManifest(image, reference, signal) {
      const m = await manifest(image, reference, 'HEAD', signal);
      return m ? { digest: m.digest, mediaType: m.mediaType } : undefined;
    },
    getManifest: (image, reference, signal) => manifest(image, reference, 'GET', signal),
    async putManifest(image, tag, m, signal) {
      const res = await call(image, `manifests/${tag}`, { method: 'PUT', headers: { 'content-type': m.mediaType }, body: m.body }, signal);
      if (!res.ok) return unexpected(res, `PUT ${image}:${tag}`);
      await res.body?.cancel();
      return res.headers.get('docker-content-digest') ?? m.digest;
    },
    async tagManifest(image, digest, tag, signal) {
      const m = await client.getManifest(image, digest, signal);
      if (!m) throw new ConfigError(`registry has no manifest ${image}@${digest} to tag as ${tag}`);
      return client.putManifest(image, tag, m, signal);
    },
    async listTags(image, signal) {
      const tags: string[] = [];
      let next: string | undefined = 'tags/list?n=1000';
      while (next) {
        const res = await call(image, next, { method: 'GET' }, signal);
        if (res.status === 404) {
          await res.body?.cancel();
          return tags;
        }
        if (!res.ok) return unexpected(res, `GET ${image} tags`);
        const body = (await res.json()) as { tags?: string[] | null };
        tags.push(...(body.tags ?? []));
        // Link: </v2/<repo>/tags/list?n=1000&last=x>; rel="next"
        const link = /<[^>]*\/tags\/list\?([^>]*)>;\s*rel="next"/.exec(res.headers.get('link') ?? '');
        next = link ? `tags/list?${link[1]}` : undefined;
      }
      return tags;
    },
  };
  return client;
}
