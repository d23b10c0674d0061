// What goes wrong in a build, against the real testenv: a failing test step (nothing deployed),
// a chart that never becomes ready (rolled back, previous revision still deployed), and a
// release left in pending-upgrade by a killed helm (repaired by the next deploy).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError } from '../../../core/errors.ts';
import { exec } from '../../../runner/exec.ts';
import { testenv } from '../../helpers/testenv.ts';
import { runnerHarness } from './harness.ts';

void test('a failing test step fails the build with its output tail, and nothing is deployed', async () => {
  const h = await runnerHarness();
  try {
    const pipeline = h.pipeline({ test: [{ name: 'unit', run: ['sh', '-c', 'echo "expected 2, got 3" >&2; exit 1'] }] });
    await h.runner([pipeline]);
    const build = await h.waitFinal((await h.enqueue(pipeline)).id);
    assert.equal(build.status, 'failed');
    assert.match(build.reason!, /^test failed: sh -c .* exited with code 1/);
    const testStage = build.stages.find((s) => s.name === 'test')!;
    assert.equal(testStage.status, 'failed');
    assert.match(testStage.error!, /expected 2, got 3/);
    assert.equal(build.stages.find((s) => s.name === 'deploy')!.status, 'skipped');
    assert.ok(!h.calls.some((c) => c.argv[1] === 'upgrade'), 'helm upgrade ran');
    assert.equal((await h.helm('status', 'app', '--namespace', h.namespace)).exitCode, 1);
    assert.match(await h.logs.text(build.id), /expected 2, got 3/);
  } finally {
    await h.cleanup();
  }
});

void test('a chart that cannot become ready is rolled back; the build fails with the reason; the previous revision stays', async () => {
  const h = await runnerHarness();
  try {
    const good = h.pipeline();
    let current = good;
    await h.runner(() => current);
    const first = await h.waitFinal((await h.enqueue(good)).id);
    assert.equal(first.status, 'succeeded', await h.logs.text(first.id));

    const unready = h.pipeline();
    unready.deploy.helm!.releases[0]!.setValues.unready = 'true';
    unready.deploy.helm!.timeout = '5s';
    current = unready;
    const second = await h.enqueue(unready);
    const failed = await h.waitFinal(second.id);
    assert.equal(failed.status, 'failed');
    assert.match(failed.reason!, /deploy failed: helm failed: .*rolled back/);
    const status = JSON.parse((await h.helm('status', 'app', '--namespace', h.namespace, '-o', 'json')).stdout) as { info: { status: string }; config?: Record<string, unknown> };
    assert.equal(status.info.status, 'deployed');
    const values = JSON.parse((await h.helm('get', 'values', 'app', '--namespace', h.namespace, '-o', 'json')).stdout) as Record<string, unknown>;
    assert.equal(values.unready, undefined, 'the unready revision is still deployed');
    const dep = await h.apps.readNamespacedDeployment({ name: 'app', namespace: h.namespace });
    assert.equal(dep.spec?.template.spec?.containers[0]?.image?.includes(`:${first.number}@`), true);
  } finally {
    await h.cleanup();
  }
});

void test('a release left in pending-upgrade by a killed helm is repaired by the next deploy', async () => {
  const h = await runnerHarness();
  try {
    const pipeline = h.pipeline();
    await h.runner([pipeline]);
    const first = await h.waitFinal((await h.enqueue(pipeline)).id);
    assert.equal(first.status, 'succeeded', await h.logs.text(first.id));

    // an upgrade that waits for a pod that never becomes ready, SIGKILLed mid-way
    const ac = new AbortController();
    const stuck = exec(
      [testenv().helm, 'upgrade', 'app', `${h.repo.dir}/chart`, '--namespace', h.namespace, '--wait', '--timeout', '5m', '--set-string', 'unready=true'],
      { env: { KUBECONFIG: testenv().kubeconfig }, signal: ac.signal, killSignal: 'SIGKILL' },
    ).catch((e: unknown) => e);
    for (let i = 0; i < 300; i++) {
      const res = await h.helm('status', 'app', '--namespace', h.namespace, '-o', 'json');
      if (res.exitCode === 0 && (JSON.parse(res.stdout) as { info: { status: string } }).info.status === 'pending-upgrade') break;
      await sleep(100);
    }
    ac.abort();
    assert.ok((await stuck) instanceof CancelledError);
    const before = JSON.parse((await h.helm('status', 'app', '--namespace', h.namespace, '-o', 'json')).stdout) as { info: { status: string } };
    assert.equal(before.info.status, 'pending-upgrade');

    const second = await h.waitFinal((await h.enqueue(pipeline)).id);
    const log = await h.logs.text(second.id);
    assert.equal(second.status, 'succeeded', log);
    assert.match(log, /release app was stuck in pending-upgrade: rolled back to revision 1/);
    const after = JSON.parse((await h.helm('status', 'app', '--namespace', h.namespace, '-o', 'json')).stdout) as { info: { status: string } };
    assert.equal(after.info.status, 'deployed');
  } finally {
    await h.cleanup();
  }
});
