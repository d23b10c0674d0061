// environment.imagePullSecret: a docker config JSON the runner holds (an environment variable or
// a file) becomes a kubernetes.io/dockerconfigjson Secret in the environment's namespace, and the
// namespace's default ServiceAccount lists it under imagePullSecrets, so every pod pulls with it.
// The value goes only into the Secret's data: never into a log line or an error.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../core/errors.ts';
import type { ImagePullSecret } from '../../pipelines/schema.ts';
import { isConflict, isNotFound, type KubeClients } from './kube.ts';

export const DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';

export interface PullSecretValue {
  name: string;
  /** The docker config JSON, as the runner holds it. */
  dockerConfigJson: string;
}

/** Reads and checks the docker config JSON; a clear error (naming where, never what) when unusable. */
export async function readPullSecret(spec: ImagePullSecret, env: NodeJS.ProcessEnv = process.env): Promise<PullSecretValue> {
  const where = spec.env !== undefined ? `environment variable ${spec.env}` : `file ${spec.file}`;
  let text: string | undefined;
  if (spec.env !== undefined) text = env[spec.env] || undefined;
  else text = await readFile(spec.file!, 'utf8').catch(() => undefined);
  if (text === undefined) throw new ConfigError(`environment.imagePullSecret ${spec.name}: the ${where} is not set or cannot be read on this runner`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`environment.imagePullSecret ${spec.name}: the ${where} is not JSON (a docker config.json is expected)`);
  }
  const auths = (parsed as { auths?: unknown } | null)?.auths;
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) {
    throw new ConfigError(`environment.imagePullSecret ${spec.name}: the ${where} has no "auths" object (a docker config.json is expected)`);
  }
  return { name: spec.name, dockerConfigJson: text };
}

async function upsertSecret(k: KubeClients, namespace: string, value: PullSecretValue, labels: Record<string, string>): Promise<void> {
  const body = {
    metadata: { name: value.name, namespace, labels },
    type: DOCKER_CONFIG_JSON,
    data: { '.dockerconfigjson': Buffer.from(value.dockerConfigJson, 'utf8').toString('base64') },
  };
  try {
    await k.core.createNamespacedSecret({ namespace, body });
  } catch (err) {
    if (!isConflict(err)) throw err;
    await k.core.replaceNamespacedSecret({ name: value.name, namespace, body });
  }
}

/**
 * Adds `secret` to the default ServiceAccount's imagePullSecrets (created here when the
 * controller has not made it yet), keeping what it lists already; retried on a conflicting write.
 */
async function listOnDefaultServiceAccount(k: KubeClients, namespace: string, secret: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      let sa;
      try {
        sa = await k.core.readNamespacedServiceAccount({ name: 'default', namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await k.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default', namespace }, imagePullSecrets: [{ name: secret }] } });
        return;
      }
      const listed = sa.imagePullSecrets ?? [];
      if (listed.some((s) => s.name === secret)) return;
      await k.core.replaceNamespacedServiceAccount({ name: 'default', namespace, body: { ...sa, imagePullSecrets: [...listed, { name: secret }] } });
      return;
    } catch (err) {
      if (isConflict(err) && attempt < 5) continue;
      throw err;
    }
  }
}

/** The Secret created or updated in `namespace`, and listed by its default ServiceAccount. */
export async function ensurePullSecret(k: KubeClients, namespace: string, value: PullSecretValue, labels: Record<string, string> = {}): Promise<void> {
  await upsertSecret(k, namespace, value, labels);
  await listOnDefaultServiceAccount(k, namespace, value.name);
}
