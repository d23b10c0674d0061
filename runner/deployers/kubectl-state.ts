// The last good kubectl deploy of a pipeline in a namespace, kept in that namespace as a Secret
// (manifests may hold Secrets, and the namespace's teardown takes it along): its manifest stream
// (gzip), the objects it applied, and the build that applied them. Read and written with kubectl
// (readLastGood, stateSecret) or, where the runner has a Kubernetes client, through its API
// (KubectlStateStore, runner/environments/manager.ts): the same Secret either way.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Run } from './types.ts';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
}

export interface LastGood {
  build: string;
  manifests: string;
  objects: ObjectRef[];
}

/** The last good state kept somewhere other than through kubectl (the Kubernetes API). */
export interface KubectlStateStore {
  read(namespace: string, pipeline: string): Promise<LastGood | undefined>;
  write(namespace: string, pipeline: string, state: LastGood): Promise<void>;
}

export const STATE_LABEL = 'slipway.dev/state';

const quiet = (): void => undefined;

export function stateSecretName(pipeline: string): string {
  return `slipway-kubectl-${pipeline}`;
}

export function readStateArgv(kubectl: string, global: readonly string[], namespace: string, pipeline: string): string[] {
  return [kubectl, ...global, 'get', 'secret', stateSecretName(pipeline), '--namespace', namespace, '--ignore-not-found', '--output', 'json'];
}

export async function readLastGood(run: Run, kubectl: string, global: readonly string[], namespace: string, pipeline: string): Promise<LastGood | undefined> {
  const res = await run(readStateArgv(kubectl, global, namespace, pipeline), { onLine: quiet });
  if (!res.stdout.trim()) return undefined;
  return fromStateData((JSON.parse(res.stdout) as { data?: Record<string, string> }).data);
}

/** The state in a Secret's (base64) data; undefined when it holds none. */
export function fromStateData(data: Record<string, string> | undefined = {}): LastGood | undefined {
  if (!data.manifests || !data.objects) return undefined;
  return {
    build: Buffer.from(data.build ?? '', 'base64').toString('utf8'),
    manifests: gunzipSync(Buffer.from(data.manifests, 'base64')).toString('utf8'),
    objects: JSON.parse(Buffer.from(data.objects, 'base64').toString('utf8')) as ObjectRef[],
  };
}

/** The Secret holding `state`. */
export function stateSecretObject(namespace: string, pipeline: string, state: LastGood) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: stateSecretName(pipeline), namespace, labels: { [STATE_LABEL]: 'kubectl' } },
    type: 'Opaque',
    data: {
      build: Buffer.from(state.build).toString('base64'),
      manifests: gzipSync(state.manifests).toString('base64'),
      objects: Buffer.from(JSON.stringify(state.objects)).toString('base64'),
    },
  };
}

/** The Secret holding `state`, as JSON for `kubectl apply -f -`. */
export function stateSecret(namespace: string, pipeline: string, state: LastGood): string {
  return JSON.stringify(stateSecretObject(namespace, pipeline, state));
}
