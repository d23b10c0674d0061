// The status check of a kubectl deploy, as Skaffold's: every Deployment, StatefulSet and
// DaemonSet is waited for with `kubectl rollout status`, every Job with `kubectl wait
// --for=condition=complete`, within statusCheckDeadlineSeconds, while the namespace's pods (and
// Jobs) are read every second. A pod that reports an error it cannot recover from (its image
// cannot be pulled, it crash-loops, a container exited with an error, its container cannot be
// created, it failed; a Job that failed) fails the check at once, and the other waits are
// stopped: the deploy then rolls back without waiting out the deadline. With
// tolerateFailuresUntilDeadline the check keeps waiting until the deadline whatever the pods
// say (a rollout that kubectl gives up on, e.g. past its progressDeadlineSeconds, is asked
// again). Either way the failure names the pod and its condition or container state. The pods
// (and Jobs) are read with `kubectl get` or, where the runner has a Kubernetes client and no
// global kubectl flags may name another cluster, through its API (WorkloadReader,
// runner/environments/kube.ts): no kubectl process a second while the deploy waits.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../core/errors.ts';
import type { KubectlFlags, PlanStatusCheck } from '../../pipelines/plan.ts';
import type { Run } from './types.ts';

const quiet = (): void => undefined;
const ROLLOUTS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Container waiting reasons Skaffold's status check does not wait out (and those it adds to them here). */
const UNRECOVERABLE_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CrashLoopBackOff',
  'RunContainerError',
  'CreateContainerConfigError',
  'CreateContainerError',
  'PreCreateHookError',
  'PostStartHookError',
]);

interface ContainerStatus {
  name: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { exitCode?: number; reason?: string; message?: string };
  };
}

export interface PodLike {
  metadata: { name: string; labels?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string; ownerReferences?: { kind: string }[] };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}

export interface JobLike {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export interface Problem {
  message: string;
  /** The pod cannot get well by waiting (Skaffold fails at once unless it tolerates failures). */
  unrecoverable: boolean;
}

const detail = (reason: string | undefined, message: string | undefined) => `${reason ?? ''}${message ? `${reason ? ': ' : ''}${message}` : ''}`;

/** What is wrong with a pod, if anything: the first unrecoverable state, else the first one that may pass. */
export function podProblem(pod: PodLike): Problem | undefined {
  const name = `pod ${pod.metadata.name}`;
  const s = pod.status ?? {};
  if (s.phase === 'Succeeded') return undefined;
  if (s.phase === 'Failed') return { message: `${name} failed${s.reason || s.message ? `: ${detail(s.reason, s.message)}` : ''}`, unrecoverable: true };
  const ofJob = (pod.metadata.ownerReferences ?? []).some((o) => o.kind === 'Job');
  const containers = [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])];
  let pending: Problem | undefined;
  for (const c of containers) {
    const waiting = c.state?.waiting;
    const terminated = c.state?.terminated;
    if (waiting?.reason) {
      const reason = waiting.reason.endsWith('ImagePullBackOff') ? 'ImagePullBackOff' : waiting.reason;
      const p = { message: `${name}: container ${c.name} ${detail(waiting.reason, waiting.message)}`, unrecoverable: UNRECOVERABLE_WAITING.has(reason) };
      if (p.unrecoverable) return p;
      pending ??= p;
    } else if (terminated && (terminated.exitCode ?? 0) !== 0 && !ofJob) {
      // a Job's pods may fail and be retried (backoffLimit): the Job's own Failed condition decides
      return { message: `${name}: container ${c.name} terminated with exit code ${terminated.exitCode}${terminated.reason ? ` (${detail(terminated.reason, terminated.message)})` : ''}`, unrecoverable: true };
    }
  }
  if (pending) return pending;
  const cond = (s.conditions ?? []).find((c) => c.status === 'False' && (c.reason || c.message));
  if (cond) return { message: `${name}: ${cond.type} ${detail(cond.reason ?? 'False', cond.message)}`, unrecoverable: false };
  return undefined;
}

export function jobProblem(job: JobLike): Problem | undefined {
  const failed = (job.status?.conditions ?? []).find((c) => c.type === 'Failed' && c.status === 'True');
  return failed ? { message: `Job ${job.metadata.name} failed: ${detail(failed.reason, failed.message) || 'Failed'}`, unrecoverable: true } : undefined;
}

/** One workload the check waits for, as applied. */
export interface Workload {
  apiVersion: string;
  kind: string;
  name: string;
  /** Labels its pods carry (spec.selector.matchLabels; a Job's job-name). */
  podLabels: Record<string, string>;
}

export function workloadOf(o: Record<string, unknown>): Workload | undefined {
  const kind = String(o.kind);
  if (!ROLLOUTS.has(kind) && kind !== 'Job') return undefined;
  const name = String((o.metadata as { name?: unknown }).name);
  const matchLabels = (o.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels;
  const podLabels = matchLabels && Object.keys(matchLabels).length ? matchLabels : kind === 'Job' ? { 'job-name': name } : {};
  return { apiVersion: String(o.apiVersion), kind, name, podLabels };
}

export interface Snapshot {
  pods: PodLike[];
  jobs: JobLike[];
}

/** A namespace's pods (and Jobs) read other than with kubectl (the Kubernetes API). */
export interface WorkloadReader {
  snapshot(namespace: string, withJobs: boolean): Promise<Snapshot>;
}

/** What is wrong with a workload in a snapshot of its namespace: unrecoverable problems first. */
export function workloadProblem(w: Workload, snap: Snapshot): Problem | undefined {
  const problems: Problem[] = [];
  if (w.kind === 'Job') {
    const job = snap.jobs.find((j) => j.metadata.name === w.name);
    const p = job && jobProblem(job);
    if (p) problems.push(p);
  }
  const entries = Object.entries(w.podLabels);
  if (entries.length) {
    for (const pod of snap.pods) {
      if (pod.metadata.deletionTimestamp) continue; // going away (an older revision, a rollback)
      if (!entries.every(([k, v]) => pod.metadata.labels?.[k] === v)) continue;
      const p = podProblem(pod);
      if (p) problems.push(p);
    }
  }
  return problems.find((p) => p.unrecoverable) ?? problems[0];
}

export interface StatusCheckInput {
  run: Run;
  kubectl: string;
  namespace: string;
  flags: KubectlFlags;
  statusCheck: PlanStatusCheck;
  /** What was applied; the workloads among them are waited for. */
  objects: readonly Record<string, unknown>[];
  line(text: string): void;
  /** How often pods are read; default 1 s (Skaffold's poll period). */
  pollMs?: number;
  /** Where pods and Jobs are read instead of with `kubectl get` (used as given: no flags are looked at). */
  reader?: WorkloadReader;
}

const resourceArg = (w: Workload) => {
  const slash = w.apiVersion.indexOf('/');
  return `${w.kind}${slash < 0 ? '' : `.${w.apiVersion.slice(0, slash)}`}/${w.name}`;
};

export function waitArgv(i: Pick<StatusCheckInput, 'kubectl' | 'namespace' | 'flags'>, w: Workload, seconds: number): string[] {
  const timeout = `--timeout=${Math.max(1, Math.ceil(seconds))}s`;
  if (w.kind === 'Job') return [i.kubectl, ...i.flags.global, 'wait', '--for=condition=complete', resourceArg(w), '--namespace', i.namespace, timeout];
  return [i.kubectl, ...i.flags.global, 'rollout', 'status', resourceArg(w), '--namespace', i.namespace, '--watch', timeout];
}

export function pollArgv(i: Pick<StatusCheckInput, 'kubectl' | 'namespace' | 'flags'>, withJobs: boolean): string[] {
  return [i.kubectl, ...i.flags.global, 'get', withJobs ? 'pods,jobs.batch' : 'pods', '--namespace', i.namespace, '--output', 'json'];
}

function lastLine(err: unknown): string {
  const tail = (err as { tail?: string[] }).tail ?? errorMessage(err).split('\n');
  return (tail.filter((l) => l.trim()).at(-1) ?? 'failed').replace(/^error:\s*/i, '');
}

/** The namespace's pods (and Jobs); undefined when they cannot be read now (asked again next time). */
async function snapshot(i: Pick<StatusCheckInput, 'run' | 'kubectl' | 'namespace' | 'flags' | 'reader'>, withJobs: boolean): Promise<Snapshot | undefined> {
  if (i.reader) return i.reader.snapshot(i.namespace, withJobs).catch(() => undefined);
  const res = await i.run(pollArgv(i, withJobs), { onLine: quiet, allowFailure: true }).catch(() => undefined);
  if (!res || res.exitCode !== 0) return undefined;
  try {
    const items = (JSON.parse(res.stdout) as { items?: (PodLike & { kind?: string })[] }).items ?? [];
    return { pods: items.filter((x) => x.kind === undefined || x.kind === 'Pod'), jobs: items.filter((x) => x.kind === 'Job') as JobLike[] };
  } catch {
    return undefined;
  }
}

type Outcome = { ok: true } | { ok: false; tail: string; at: number };

/** Waits for the workloads among `objects`; the failures, one line each ([] when all became ready). */
export async function statusCheck(i: StatusCheckInput): Promise<string[]> {
  if (!i.statusCheck.enabled) return [];
  const workloads = i.objects.map(workloadOf).filter((w): w is Workload => w !== undefined);
  if (workloads.length === 0) return [];
  const pollMs = i.pollMs ?? 1000;
  const { deadlineSeconds, tolerateFailuresUntilDeadline: tolerate } = i.statusCheck;
  const started = Date.now();
  const deadlineAt = started + deadlineSeconds * 1000;
  const withJobs = workloads.some((w) => w.kind === 'Job');
  const stop = new AbortController();
  const done = new Set<Workload>();
  let failedFast: string | undefined;

  const waitOne = async (w: Workload): Promise<Outcome> => {
    for (;;) {
      try {
        await i.run(waitArgv(i, w, (deadlineAt - Date.now()) / 1000), { onLine: quiet, signal: stop.signal });
        return { ok: true };
      } catch (err) {
        if (stop.signal.aborted) return { ok: false, tail: 'stopped', at: Date.now() };
        // kubectl gave up before the deadline (e.g. past progressDeadlineSeconds): tolerated, ask again
        if (tolerate && Date.now() + pollMs < deadlineAt) {
          await sleep(pollMs, undefined, { signal: stop.signal }).catch(() => undefined);
          continue;
        }
        return { ok: false, tail: lastLine(err), at: Date.now() };
      }
    }
  };

  const seen = new Set<string>();
  const poller = (async () => {
    while (!stop.signal.aborted && done.size < workloads.length) {
      await sleep(pollMs, undefined, { signal: stop.signal }).catch(() => undefined);
      if (stop.signal.aborted) return;
      const snap = await snapshot(i, withJobs);
      if (!snap) continue;
      for (const w of workloads) {
        if (done.has(w)) continue;
        const p = workloadProblem(w, snap);
        if (!p) continue;
        if (p.unrecoverable && !tolerate) {
          const secs = Math.round((Date.now() - started) / 1000);
          failedFast = `${w.kind} ${w.name} cannot become ready (failed after ${secs}s of ${deadlineSeconds}s): ${p.message}`;
          stop.abort();
          return;
        }
        const note = `waiting for ${w.kind} ${w.name}: ${p.message}`;
        if (!seen.has(note)) i.line(note);
        seen.add(note);
      }
    }
  })();

  const outcomes = await Promise.all(
    workloads.map(async (w) => {
      const o = await waitOne(w);
      done.add(w);
      return o;
    }),
  );
  stop.abort();
  await poller;
  if (failedFast) return [failedFast];
  const failed = workloads.map((w, n) => ({ w, o: outcomes[n]! })).filter((x): x is { w: Workload; o: Extract<Outcome, { ok: false }> } => !x.o.ok);
  if (failed.length === 0) return [];
  const snap = await snapshot(i, withJobs);
  return failed.map(({ w, o }) => {
    const why = (snap && workloadProblem(w, snap)?.message) ?? o.tail;
    const byDeadline = o.at >= deadlineAt - 1000;
    return byDeadline ? `${w.kind} ${w.name} did not become ready within ${deadlineSeconds}s: ${why}` : `${w.kind} ${w.name} failed: ${why}`;
  });
}

export interface PodWatchInput {
  run: Run;
  kubectl: string;
  namespace: string;
  flags: KubectlFlags;
  /** Only pods created from this time on (ms) are looked at: those of the deploy being watched. */
  since: number;
  /** Stops the watch (it then resolves undefined). */
  signal: AbortSignal;
  pollMs?: number;
  /** Where pods are read instead of with `kubectl get pods`. */
  reader?: WorkloadReader;
}

/**
 * Watches the namespace's pods created since `since` until one reports a state it cannot recover
 * from, and resolves with it; undefined once `signal` stops the watch. For deployers that wait by
 * themselves (helm --wait) and only need to know when waiting is pointless.
 */
export async function firstUnrecoverable(i: PodWatchInput): Promise<Problem | undefined> {
  const pollMs = i.pollMs ?? 1000;
  const from = Math.floor(i.since / 1000) * 1000; // creationTimestamp has whole seconds
  while (!i.signal.aborted) {
    await sleep(pollMs, undefined, { signal: i.signal }).catch(() => undefined);
    if (i.signal.aborted) return undefined;
    const snap = await snapshot(i, false);
    for (const pod of snap?.pods ?? []) {
      if (pod.metadata.deletionTimestamp) continue;
      if (!pod.metadata.creationTimestamp || Date.parse(pod.metadata.creationTimestamp) < from) continue;
      const p = podProblem(pod);
      if (p?.unrecoverable) return p;
    }
  }
  return undefined;
}
