// Orchestration overhead through the path users run: a long-running `slipway server` and
// `slipway runner` (the bundled CLI, as the container image runs it), a Gogs push webhook →
// build → image pushed → tests → helm deploy, timed from the POST until the build record is
// final. Against bench/runner/plain-pipeline.sh doing the same git, buildah, test and helm
// commands. Each round commits a new change to the fixture repository (both sides build it),
// then times A and B in turn, each started at a random point within a wall-clock second
// (buildah's commit waits for the next whole second; see RESULTS.md). Needs the testenv.
//   node --import tsx bench/runner/runner-overhead.ts [ROUNDS]
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../../cli/up/free-port.ts';
import { exec } from '../../runner/exec.ts';
import { integerArg } from '../integer-arg.ts';
import { benchFixture, buildBundle, ROOT, RUNNER_APP, runnerAppPipeline } from '../fixture.ts';

const rounds = integerArg(2, 'ROUNDS', 10, 1, 10_000);
const f = await benchFixture('slipway-runner-overhead-');
await f.commit(RUNNER_APP);
const { t, dir, repo, git } = f;

const name = 'runner-overhead';
const image = f.image(name);
const namespace = 'slipway-bench-runner';
await f.pipeline(name, runnerAppPipeline(f, name, image, namespace));
const port = await freePort();
const env = f.env({ namespace, slipway: { SLIPWAY_PORT: String(port), SLIPWAY_API_TOKEN: randomUUID() }, bench: { BENCH_IMAGE: image } });

const bin = await buildBundle();
const stop = new AbortController();
const daemon = (command: string) =>
  exec(['node', bin, command], { cwd: dir, env, signal: stop.signal, onLine: (l) => console.error(`[${command}] ${l}`) }).catch(() => undefined);
const server = daemon('server');
const runner = daemon('runner');
const base = `http://127.0.0.1:${port}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A: the webhook POSTed, then the build record polled every 10 ms until final. */
async function viaRunner(before: string, after: string): Promise<number> {
  const payload = JSON.stringify({
    ref: 'refs/heads/main',
    before,
    after,
    commits: [{ id: after, message: 'change\n', added: [], removed: [], modified: ['counter.txt'] }],
    repository: { name: 'repo', full_name: 'bench/repo', clone_url: `file://${repo}`, html_url: `file://${repo}` },
    pusher: { username: 'bench' },
    sender: { username: 'bench' },
  });
  const start = performance.now();
  const res = await fetch(`${base}/hooks/gogs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gogs-event': 'push', 'x-gogs-delivery': randomUUID() },
    body: payload,
  });
  const answer = (await res.json()) as { builds?: { id: string }[] };
  const id = answer.builds?.[0]?.id;
  if (!id) throw new Error(`the webhook queued nothing: ${res.status} ${JSON.stringify(answer)}`);
  for (;;) {
    const b = (await (await fetch(`${base}/api/builds/${id}`)).json()) as { status: string; reason?: string };
    if (b.status === 'succeeded') return performance.now() - start;
    if (b.status === 'failed' || b.status === 'cancelled') throw new Error(`build ${id} ${b.status}: ${b.reason}`);
    await sleep(10);
  }
}

/** B: the plain script as a process. */
async function plain(): Promise<number> {
  const start = performance.now();
  await exec(['sh', path.join(ROOT, 'bench/runner/plain-pipeline.sh')], { env, timeoutMs: 120_000 });
  return performance.now() - start;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const as: number[] = [];
const bs: number[] = [];
try {
  for (let i = 0; ; i++) {
    const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 300) throw new Error('the server did not become ready');
    await sleep(100);
  }
  let before = await git('rev-parse', 'HEAD');
  for (let i = 0; i <= rounds; i++) {
    await writeFile(path.join(repo, 'counter.txt'), `${i}\n`);
    await git('add', '-A');
    await git('commit', '-q', '-m', `change ${i}`);
    const after = await git('rev-parse', 'HEAD');
    await sleep(Math.random() * 1000);
    const a = await viaRunner(before, after);
    await sleep(Math.random() * 1000);
    const b = await plain();
    before = after;
    if (i === 0) continue; // warm-up: the mirror's first clone, the runner's first deploy
    as.push(a);
    bs.push(b);
    console.error(`round ${i}: A ${(a / 1000).toFixed(3)} s  B ${(b / 1000).toFixed(3)} s  A/B ${(a / b).toFixed(3)}`);
  }
} finally {
  stop.abort();
  await Promise.all([server, runner]);
  await exec([t.helm, 'uninstall', 'app', 'app-plain', '--namespace', namespace], { env, allowFailure: true });
  await rm(dir, { recursive: true, force: true });
}
const s = (xs: number[]) => `${(median(xs) / 1000).toFixed(2)} s (${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)})`;
const ratios = as.map((x, i) => x / bs[i]!);
console.log(`${rounds} rounds, A then B each round, random start phase`);
console.log(`A: slipway server + runner, webhook → deployed   ${s(as)}`);
console.log(`B: plain script                                  ${s(bs)}`);
console.log(`A/B pairs: median ${median(ratios).toFixed(3)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); median A / median B ${(median(as) / median(bs)).toFixed(3)}×`);
