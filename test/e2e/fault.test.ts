// The fault test of issue 12, reduced for CI (bench/fault/run.ts runs it at 1000 deliveries):
// 200 signed Gitea deliveries over 40 branches of a real repository, with redeliveries and
// replays, to a real `slipway server` and two `slipway runner` processes, while one runner is
// SIGKILLed mid-build and started again, the scenario's own Redis is restarted from its AOF, and
// Redis is down for 5 s. Every accepted push ends as exactly one build in a final state, none is
// stuck, none is made twice or from an ignored delivery, no answer is a 5xx or takes a second.
// The scenario itself is test/helpers/fault-scenario.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judge, runFaultScenario } from '../helpers/fault-scenario.ts';

void test('200 deliveries through a runner SIGKILL, a Redis restart and a Redis outage: each accepted push is one final build, every answer under 1 s', async () => {
  const run = await runFaultScenario({
    deliveries: 200,
    branches: 40,
    rate: 15,
    downtimeMs: 5000,
    drainLimitMs: 70_000,
    log: process.env.SLIPWAY_TEST_LOG ? (line) => console.error(`${new Date().toISOString()} ${line}`) : undefined,
  });
  const v = judge(run);
  const figures = JSON.stringify({ ...v, lost: v.lost.length, double: v.double.length, stray: v.stray.length, stuck: v.stuck.length, drainMs: Math.round(run.drainMs) });

  // the faults happened while deliveries were coming in
  assert.equal(v.sent, 200);
  assert.ok(v.byKind.redelivery > 0 && v.byKind.replay > 0, figures);
  assert.ok(run.killed.length > 0, 'runner A was killed while it ran a build');
  assert.equal(run.aofLoads, 2, 'redis loaded its AOF on each of its two starts after data was written');
  assert.ok(v.spooled > 0, `deliveries were spooled during the outage: ${figures}`);

  // every answer: no 5xx, none missing, none slow (timed by the client)
  assert.deepEqual(v.other, {}, figures);
  assert.equal(v.serverErrors, 0);
  assert.ok(v.latency.all.max < 1000, `slowest answer ${Math.round(v.latency.all.max)} ms: ${figures}`);
  // every new push was accepted; only redeliveries and replays were ignored, as duplicates
  assert.equal(v.acceptedPushes, v.byKind.new, figures);
  assert.deepEqual(Object.keys(v.ignored).sort(), Object.keys(v.ignored).filter((r) => r === 'duplicate delivery' || r === 'duplicate push').sort(), figures);

  // exactly one final build per accepted push, nothing else
  assert.deepEqual(v.lost, [], figures);
  assert.deepEqual(v.double, [], figures);
  assert.deepEqual(v.stray, [], figures);
  assert.deepEqual(v.mismatched, [], figures);
  assert.deepEqual(v.stuck, [], figures);
  assert.equal(v.builds, v.acceptedPushes);
  assert.equal(v.final, v.builds);
  // the step always passes: a build ends succeeded or superseded, never failed by a fault
  const failed = run.builds.filter((b) => b.status === 'failed').map((b) => `${b.id}: ${b.reason}`);
  assert.deepEqual(failed, [], figures);
  for (const k of run.killed) {
    const b = run.builds.find((r) => r.id === k.id)!;
    // taken over by a runner (the log says so), unless superseded while its runner was gone
    if (!b.reason?.startsWith('superseded by')) assert.match(k.log, /runner lost: the previous runner stopped mid-build/, k.log);
  }
});
