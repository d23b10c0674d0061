// The fault scenario of issue 12 at full size (test/helpers/fault-scenario.ts; the fault test runs
// it reduced): N signed deliveries (default 1000) over 50 branches with redeliveries and replays,
// a runner SIGKILLed and restarted, Redis restarted from its AOF, and Redis down for 8 s. Prints
// the figures bench/fault/RESULTS.md records, as JSON too; exits 1 when a promise is broken.
//   node --import tsx bench/fault/run.ts [N]
import os from 'node:os';
import { integerSetting } from '../../core/config.ts';
import { judge, runFaultScenario } from '../../test/helpers/fault-scenario.ts';
import { integerArg } from '../integer-arg.ts';

const deliveries = integerArg(2, 'N', 1000, 1, 1_000_000);
const started = new Date().toISOString();
const run = await runFaultScenario({
  deliveries,
  branches: Math.min(50, Math.max(10, Math.round(deliveries / 20))),
  // read as Slipway's own number settings are: decimal digits in range, else an error naming the variable
  rate: integerSetting(process.env, 'FAULT_RATE', 25, 1, 10_000),
  downtimeMs: integerSetting(process.env, 'FAULT_DOWNTIME_MS', 8000, 0, 600_000),
  drainLimitMs: 10 * 60_000,
  log: (line) => console.error(`[${((Date.now() - Date.parse(started)) / 1000).toFixed(1)} s] ${line}`),
});
const v = judge(run);
const ms = (x: number | undefined) => (x === undefined ? 'n/a' : `${Math.round(x)} ms`);
const p = (l: { n: number; p50: number; p99: number; max: number }) => `n ${l.n}, p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`;
console.log(`fault bench ${started}, ${os.cpus().length} cores`);
console.log(`deliveries sent ${v.sent} (new ${v.byKind.new}, redeliveries ${v.byKind.redelivery}, replays ${v.byKind.replay}) at ${run.options.rate}/s, ${run.options.branches} branches`);
console.log(`answers: 202 queued ${v.queued}, 202 spooled ${v.spooled}, 200 ignored ${JSON.stringify(v.ignored)}, other ${JSON.stringify(v.other)}`);
console.log(`accepted pushes ${v.acceptedPushes}, builds ${v.builds}, final ${v.final} ${JSON.stringify(v.byStatus)}`);
console.log(`lost ${v.lost.length}, double ${v.double.length}, stray ${v.stray.length}, stuck ${v.stuck.length}, mismatched ${v.mismatched.length}, 5xx/no answer ${v.serverErrors}, answers >= 1 s ${v.slow}`);
const killed = run.killed.map((k) => {
  const b = run.builds.find((r) => r.id === k.id);
  return `${k.id} (${b?.status ?? 'missing'}${b?.reason ? `: ${b.reason}` : ''}${/runner lost: the previous runner stopped mid-build/.test(k.log) ? ', log: runner lost, ran again' : ''})`;
});
console.log(`runner A killed while running ${killed.join(', ') || 'nothing'}; redis AOF loads ${run.aofLoads}`);
console.log(`answer latency overall: ${p(v.latency.all)}`);
console.log(`answer latency while redis was down: ${p(v.latency.redisDown)}`);
console.log(`spool replayed ${ms(run.spoolDrainMs)} after redis was back; every build final ${ms(run.drainMs)} after the last answer; wall ${ms(run.wallMs)}`);
console.log(`load average: ${run.load.before.toFixed(2)} before, mean ${run.load.mean.toFixed(2)}, max ${run.load.max.toFixed(2)}`);
for (const [what, list] of Object.entries({ lost: v.lost, double: v.double, stray: v.stray, stuck: v.stuck, mismatched: v.mismatched })) if (list.length) console.log(`${what}: ${list.slice(0, 20).join('; ')}`);
const broken = v.lost.length + v.double.length + v.stray.length + v.stuck.length + v.mismatched.length + v.serverErrors + v.slow;
process.exitCode = broken ? 1 : 0;
