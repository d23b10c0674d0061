// The test cluster's node is kwok's: pods never run, so a test plays the kubelet of a pod whose
// container cannot start or keeps crashing by writing the pod's status itself (status subresource).
import { exec } from '../../runner/exec.ts';
import { testenvChildEnv } from './testenv.ts';

export interface ContainerTrouble {
  /** Pods with this label selector (e.g. app=web). */
  selector: string;
  /** The container's waiting state, e.g. CrashLoopBackOff. */
  reason: string;
  message: string;
  /**
   * 'Running': a pod kwok has started (a crash after the start); 'Pending': a pod no node takes
   * (its image cannot be pulled, as a kubelet would report before it runs).
   */
  phase: 'Running' | 'Pending';
}

/** Waits for a pod matching `t` and reports the trouble in its status; resolves with its name ('' when stopped first). */
export async function reportContainerTrouble(namespace: string, t: ContainerTrouble, signal: AbortSignal): Promise<string> {
  const env = testenvChildEnv();
  const kubectl = (...args: string[]) => exec(['kubectl', ...args], { env, allowFailure: true, timeoutMs: 30_000 });
  for (;;) {
    if (signal.aborted) return '';
    const pods = await kubectl('get', 'pods', '-n', namespace, '-l', t.selector, '-o', `jsonpath={range .items[?(@.status.phase=="${t.phase}")]}{.metadata.name}{"\\n"}{end}`);
    const pod = pods.stdout.trim().split('\n').filter(Boolean)[0];
    if (pod) {
      const container = { name: 'web', image: 'web:dev', imageID: '', ready: false, restartCount: t.phase === 'Running' ? 3 : 0, state: { waiting: { reason: t.reason, message: t.message } } };
      const status =
        t.phase === 'Running'
          ? {
              phase: 'Running',
              conditions: [
                { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]' },
                { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady' },
              ],
              containerStatuses: [{ ...container, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }],
            }
          : { containerStatuses: [container] };
      const res = await kubectl('patch', 'pod', pod, '-n', namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
      if (res.exitCode === 0) return pod;
      if (!/NotFound/.test(res.stderr)) throw new Error(`cannot patch the status of pod ${pod}: ${res.stderr}`);
      // gone meanwhile (an older revision's pod): look again
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A Deployment (one replica unless `replicas` says) whose one container is the one reportContainerTrouble reports on
 * (web, image web:dev), its pods labelled app=<name>. `minReadySeconds` keeps a rollout from
 * completing by itself; `unscheduled`: no node takes its pods (they stay Pending, as a pod whose
 * image cannot be pulled would).
 */
export function webDeployment(name: string, opts: { replicas?: number; minReadySeconds?: number; unscheduled?: boolean } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${opts.replicas ?? 1}
${opts.minReadySeconds === undefined ? '' : `  minReadySeconds: ${opts.minReadySeconds}\n`}  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
${opts.unscheduled ? '      nodeSelector: { slipway.dev/none: "true" }\n' : ''}      containers:
        - { name: web, image: "web:dev" }
`;
}
