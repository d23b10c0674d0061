// What the status check makes of a pod's or a Job's status: the states Skaffold does not wait out
// (unrecoverable: fail at once unless tolerateFailuresUntilDeadline) and those that may pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobProblem, podProblem, workloadOf, workloadProblem, type PodLike } from '../../../../runner/deployers/status-check.ts';

const pod = (status: PodLike['status'], extra: Partial<PodLike['metadata']> = {}): PodLike => ({ metadata: { name: 'web-1', labels: { app: 'web' }, ...extra }, status });
const waiting = (reason: string, message?: string) => pod({ phase: 'Pending', containerStatuses: [{ name: 'web', state: { waiting: { reason, ...(message ? { message } : {}) } } }] });

void test('unrecoverable pod states: image pulls, crash loops, container creation errors, errored containers, failed pods', () => {
  for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CrashLoopBackOff', 'RunContainerError', 'CreateContainerConfigError', 'CreateContainerError']) {
    assert.deepEqual(podProblem(waiting(reason, 'why')), { message: `pod web-1: container web ${reason}: why`, unrecoverable: true }, reason);
  }
  assert.deepEqual(podProblem(waiting('ImagePullBackOff')), { message: 'pod web-1: container web ImagePullBackOff', unrecoverable: true });
  assert.deepEqual(podProblem(pod({ phase: 'Running', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 2, reason: 'Error' } } }] })), {
    message: 'pod web-1: container web terminated with exit code 2 (Error)',
    unrecoverable: true,
  });
  assert.deepEqual(podProblem(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' })), {
    message: 'pod web-1 failed: Evicted: The node was low on resource: memory.',
    unrecoverable: true,
  });
  // an init container counts as much as the others
  const init = pod({ phase: 'Pending', initContainerStatuses: [{ name: 'migrate', state: { waiting: { reason: 'CrashLoopBackOff' } } }], containerStatuses: [{ name: 'web', state: { waiting: { reason: 'PodInitializing' } } }] });
  assert.deepEqual(podProblem(init), { message: 'pod web-1: container migrate CrashLoopBackOff', unrecoverable: true });
});

void test('states that may pass are reported, not failed on: creating, unschedulable; healthy and finished pods have none', () => {
  assert.deepEqual(podProblem(waiting('ContainerCreating')), { message: 'pod web-1: container web ContainerCreating', unrecoverable: false });
  const unschedulable = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] });
  assert.deepEqual(podProblem(unschedulable), { message: 'pod web-1: PodScheduled Unschedulable: 0/1 nodes are available', unrecoverable: false });
  assert.equal(podProblem(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'web', state: {} }] })), undefined);
  assert.equal(podProblem(pod({ phase: 'Succeeded' })), undefined);
  // a Job's pod that failed may be retried: its Job decides
  const jobPod = pod({ phase: 'Running', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 1 } } }] }, { ownerReferences: [{ kind: 'Job' }] });
  assert.equal(podProblem(jobPod), undefined);
  assert.deepEqual(jobProblem({ metadata: { name: 'migrate' }, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] } }), {
    message: 'Job migrate failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
    unrecoverable: true,
  });
  assert.equal(jobProblem({ metadata: { name: 'migrate' }, status: { conditions: [{ type: 'Complete', status: 'True' }] } }), undefined);
});

void test("a workload's problem comes from its own pods (by selector), unrecoverable first, pods being deleted left out", () => {
  const web = workloadOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } } } })!;
  assert.deepEqual(web, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', podLabels: { app: 'web' } });
  assert.equal(workloadOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }), undefined);
  assert.deepEqual(workloadOf({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: {} })?.podLabels, { 'job-name': 'migrate' });
  const pods: PodLike[] = [
    { metadata: { name: 'web-a', labels: { app: 'web' } }, status: { phase: 'Pending', containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ContainerCreating' } } }] } },
    { metadata: { name: 'web-b', labels: { app: 'web' } }, status: { phase: 'Pending', containerStatuses: [{ name: 'web', state: { waiting: { reason: 'ErrImagePull' } } }] } },
    { metadata: { name: 'api-a', labels: { app: 'api' } }, status: { phase: 'Failed' } },
  ];
  assert.deepEqual(workloadProblem(web, { pods, jobs: [] }), { message: 'pod web-b: container web ErrImagePull', unrecoverable: true });
  const deleting = pods.map((p) => (p.metadata.name === 'web-b' ? { ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-12-01T00:00:00Z' } } : p));
  assert.deepEqual(workloadProblem(web, { pods: deleting, jobs: [] }), { message: 'pod web-a: container web ContainerCreating', unrecoverable: false });
  assert.equal(workloadProblem(web, { pods: pods.slice(2), jobs: [] }), undefined);
});
