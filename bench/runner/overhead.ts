// Times the two commands prepare-overhead.ts prints, in turn (A B A B ...), each run started at a
// random point within a wall-clock second. buildah's commit waits for the next whole second
// (0-1 s); two commands of near-constant length run back to back otherwise lock that wait into a
// phase that favours one side for a whole series, and the ratio moved between 1.03 and 1.31 from
// one series to the next with the same code. The wait before a run is not timed; each run's wall
// time is. Prints each side's median, min and max wall time and the median of the pairwise ratios.
//   node --import tsx bench/runner/overhead.ts RUNS "A COMMAND" "B COMMAND"
// (the commands as prepare-overhead.ts prints them: env VAR=... program args, split on spaces)
import { exec } from '../../runner/exec.ts';
import { integerArg } from '../integer-arg.ts';

const [runsArg, a, b] = process.argv.slice(2);
if (!runsArg || !a || !b) {
  console.error('usage: overhead.ts RUNS "A COMMAND" "B COMMAND"');
  process.exit(2);
}
const runs = integerArg(2, 'RUNS', 0, 1, 10_000);

async function timed(command: string): Promise<number> {
  await new Promise((r) => setTimeout(r, Math.random() * 1000));
  const start = performance.now();
  const res = await exec(command.split(' ').filter(Boolean), { allowFailure: true, maxBuffer: 1 << 20, timeoutMs: 120_000 });
  const ms = performance.now() - start;
  if (res.exitCode !== 0) throw new Error(`${command.slice(0, 80)}... exited ${res.exitCode}\n${res.stderr.slice(-2000)}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const row = (name: string, xs: number[], unit: string, digits: number) =>
  `${name.padEnd(6)} median ${median(xs).toFixed(digits)}${unit}  min ${Math.min(...xs).toFixed(digits)}${unit}  max ${Math.max(...xs).toFixed(digits)}${unit}`;

await timed(a); // warm-up, not counted
await timed(b);
const as: number[] = [];
const bs: number[] = [];
for (let i = 0; i < runs; i++) {
  as.push(await timed(a));
  bs.push(await timed(b));
}
const sec = (xs: number[]) => xs.map((x) => x / 1000);
console.log(`${runs} runs each, in turn, random start phase`);
console.log(row('A', sec(as), ' s', 3));
console.log(row('B', sec(bs), ' s', 3));
console.log(row('A/B', as.map((x, i) => x / bs[i]!), '×', 3));
console.log(`median A / median B: ${(median(as) / median(bs)).toFixed(3)}×`);
