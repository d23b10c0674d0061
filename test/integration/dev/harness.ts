// What the slipway dev tests share: the loop started against the testenv, its iterations awaited
// one by one, and the argv of every command it ran (the exec door), for counting builder runs.
import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger } from '../../../core/logger.ts';
import { devLoop, type DevTarget, type IterationResult } from '../../../runner/dev/dev-loop.ts';
import { kubeClients, type KubeClients } from '../../../runner/environments/kube.ts';
import { exec, recordingExec, type RecordedCall } from '../../../runner/exec.ts';
import { testenv } from '../../helpers/testenv.ts';
import { buildahArgv } from '../../helpers/buildah-argv.ts';

export function testKube(): { kc: KubeConfig; kube: KubeClients } {
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  return { kc, kube: kubeClients(kc) };
}

export interface StartedLoop {
  controller: AbortController;
  /** The loop's exit code. */
  done: Promise<number>;
  /** The next iteration's result (fails the test after `timeoutMs`, default 120 s). */
  next(timeoutMs?: number): Promise<IterationResult>;
  /** What the loop printed. */
  out: string[];
  /** Every command the loop ran. */
  calls: RecordedCall[];
}

/** Starts the loop; `next()` waits for the next iteration's result. */
export function startLoop(o: { dir: string; target: DevTarget; namespace: string; kube: KubeClients; keepRunningOnFailure: boolean; skipTests?: boolean }): StartedLoop {
  const controller = new AbortController();
  const results: IterationResult[] = [];
  const waiting: ((r: IterationResult) => void)[] = [];
  const out: string[] = [];
  const rec = recordingExec(exec);
  const done = devLoop({
    dir: o.dir,
    target: o.target,
    namespace: o.namespace,
    user: 'tester',
    keepRunningOnFailure: o.keepRunningOnFailure,
    ...(o.skipTests ? { skipTests: true } : {}),
    cleanup: true,
    exec: rec.exec,
    kube: o.kube,
    log: silentLogger(),
    helm: { bin: testenv().helm, env: { KUBECONFIG: testenv().kubeconfig } },
    signal: controller.signal,
    out: (l) => void out.push(l),
    debounceMs: 100,
    onIteration: (r) => {
      const w = waiting.shift();
      if (w) w(r);
      else results.push(r);
    },
  });
  const next = (timeoutMs = 120_000) => {
    if (results.length) return Promise.resolve(results.shift()!);
    return new Promise<IterationResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no iteration within ${timeoutMs} ms:\n${out.join('\n')}`)), timeoutMs);
      waiting.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  };
  return { controller, done, next, out, calls: rec.calls };
}

/** Builder runs (buildah bud) of `image` among `calls` from index `from`. */
export function builds(calls: readonly RecordedCall[], image: string, from = 0): number {
  return calls.slice(from).filter((c) => buildahArgv(c.argv)?.includes('bud') && c.argv.some((a) => a.startsWith(`${image}:`))).length;
}
