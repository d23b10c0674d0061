// A small Kubernetes client over node:https for the few calls of KubeClients, from the kubeconfig
// as @kubernetes/client-node's loadFromDefault finds it: $KUBECONFIG (one file), else
// ~/.kube/config, else the in-cluster service account. `slipway run` uses it so that it never
// loads client-node (~0.6 s of CPU, on the two cores buildah is using). It speaks only what it
// was written for: a server URL with the cluster's CA (file or data) or insecure-skip-tls-verify,
// and a client certificate, a bearer token (or token file, read at each request) or a user name
// and password. For anything else (exec or auth-provider plugins, proxies, impersonation, several
// kubeconfig files to merge) it answers undefined and the caller loads client-node.
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import path from 'node:path';
import type { V1IngressList, V1Namespace, V1SecretList, V1Status } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { KubeClients } from './kube.ts';

/** What a request needs: where, how to trust the server, who we are. */
export interface KubeTarget {
  server: string;
  ca?: Buffer;
  insecure?: boolean;
  tlsServerName?: string;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
}

/** An answer other than 2xx: `code` is the HTTP status, as client-node's ApiException has it. */
export class KubeHttpError extends Error {
  readonly code: number;
  readonly body: unknown;
  constructor(method: string, urlPath: string, code: number, body: unknown) {
    const message = (body as V1Status | undefined)?.message;
    super(`kubernetes ${method} ${urlPath}: HTTP ${code}${message ? `: ${message}` : ''}`);
    this.code = code;
    this.body = body;
  }
}

type Entry<T> = { name?: string } & T;
interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Entry<{ context?: { cluster?: string; user?: string } }>[];
  clusters?: Entry<{ cluster?: Record<string, unknown> }>[];
  users?: Entry<{ user?: Record<string, unknown> }>[];
}

const CLUSTER_KEYS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions']);
const USER_KEYS = new Set(['token', 'tokenFile', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'username', 'password', 'extensions']);
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The target of a kubeconfig's current context, or undefined when it needs what this client lacks. */
export function targetFromKubeconfig(text: string, dir: string): KubeTarget | undefined {
  const cfg = (parse(text) ?? {}) as KubeconfigFile;
  const current = str(cfg['current-context']);
  const context = cfg.contexts?.find((c) => c.name === current)?.context;
  if (!context) return undefined;
  const cluster = cfg.clusters?.find((c) => c.name === context.cluster)?.cluster;
  const user = context.user === undefined ? {} : cfg.users?.find((u) => u.name === context.user)?.user;
  if (!cluster || !user) return undefined;
  if (Object.keys(cluster).some((k) => !CLUSTER_KEYS.has(k)) || Object.keys(user).some((k) => !USER_KEYS.has(k))) return undefined;
  const server = str(cluster.server);
  if (!server || !/^https?:\/\//.test(server)) return undefined;
  const file = (v: unknown) => readFileSync(path.resolve(dir, String(v)));
  const data = (v: unknown) => Buffer.from(String(v), 'base64');
  const pick = (fileKey: unknown, dataKey: unknown): Buffer | undefined => (str(dataKey) ? data(dataKey) : str(fileKey) ? file(fileKey) : undefined);
  const target: KubeTarget = { server };
  const ca = pick(cluster['certificate-authority'], cluster['certificate-authority-data']);
  if (ca) target.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) target.insecure = true;
  if (str(cluster['tls-server-name'])) target.tlsServerName = String(cluster['tls-server-name']);
  const cert = pick(user['client-certificate'], user['client-certificate-data']);
  const key = pick(user['client-key'], user['client-key-data']);
  if (cert) target.cert = cert;
  if (key) target.key = key;
  if (str(user.token)) target.token = String(user.token);
  else if (str(user.tokenFile)) target.tokenFile = path.resolve(dir, String(user.tokenFile));
  if (str(user.username)) {
    target.username = String(user.username);
    target.password = str(user.password) ?? '';
  }
  return target;
}

/** The target client-node's loadFromDefault would pick, when this client can speak it. */
export function defaultKubeTarget(env: NodeJS.ProcessEnv = process.env): KubeTarget | undefined {
  const files = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (files.length > 1) return undefined; // merged configs: client-node's rules
  const file = files[0] ?? path.join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(file)) return targetFromKubeconfig(readFileSync(file, 'utf8'), path.dirname(file));
  if (files.length === 1) return undefined; // a named file that is missing: client-node reports it
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = path.join(SERVICE_ACCOUNT_DIR, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(path.join(SERVICE_ACCOUNT_DIR, 'ca.crt')),
    tokenFile,
  };
}

/** The KubeClients calls, made with node:https against `target`. */
export function kubeHttpClients(target: KubeTarget, opts: { timeoutMs?: number } = {}): KubeClients {
  const base = new URL(target.server);
  const secure = base.protocol === 'https:';
  // Idle keep-alive sockets are unref'd by node's agent: they never hold the process open.
  const agent = secure
    ? new https.Agent({
        keepAlive: true,
        ...(target.ca ? { ca: target.ca } : {}),
        ...(target.cert ? { cert: target.cert } : {}),
        ...(target.key ? { key: target.key } : {}),
        rejectUnauthorized: !target.insecure,
        ...(target.tlsServerName ? { servername: target.tlsServerName } : {}),
      })
    : new http.Agent({ keepAlive: true });
  const prefix = base.pathname.replace(/\/+$/, '');

  const authorization = (): string | undefined => {
    const token = target.token ?? (target.tokenFile ? readFileSync(target.tokenFile, 'utf8').trim() : undefined);
    if (token) return `Bearer ${token}`;
    if (target.username !== undefined) return `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}`;
    return undefined;
  };

  const request = <T>(method: string, urlPath: string, body?: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const auth = authorization();
      const req = (secure ? https : http).request(
        {
          protocol: base.protocol,
          hostname: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port || (secure ? 443 : 80),
          path: `${prefix}${urlPath}`,
          method,
          agent,
          timeout: opts.timeoutMs ?? 30_000,
          headers: {
            Accept: 'application/json',
            ...(auth ? { Authorization: auth } : {}),
            ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = text;
            }
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve(parsed as T);
            else reject(new KubeHttpError(method, urlPath, code, parsed));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`kubernetes ${method} ${urlPath}: no answer in ${opts.timeoutMs ?? 30_000} ms`)));
      req.on('error', reject);
      req.end(payload);
    });

  const seg = encodeURIComponent;
  const query = (q: Record<string, string | undefined>): string => {
    const s = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    return s ? `?${s}` : '';
  };

  return {
    core: {
      readNamespace: ({ name }) => request<V1Namespace>('GET', `/api/v1/namespaces/${seg(name)}`),
      createNamespace: ({ body }) => request<V1Namespace>('POST', '/api/v1/namespaces', body),
      deleteNamespace: ({ name }) => request<V1Status>('DELETE', `/api/v1/namespaces/${seg(name)}`),
      listNamespacedSecret: ({ namespace, labelSelector }) =>
        request<V1SecretList>('GET', `/api/v1/namespaces/${seg(namespace)}/secrets${query({ labelSelector })}`),
    },
    networking: {
      listNamespacedIngress: ({ namespace }) => request<V1IngressList>('GET', `/apis/networking.k8s.io/v1/namespaces/${seg(namespace)}/ingresses`),
    },
  };
}
