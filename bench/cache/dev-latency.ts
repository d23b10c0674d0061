// slipway dev's change-to-redeployed latency, for the two things it runs:
//   native:   a copy of the runner-app fixture (one artifact, one helm release); each edit changes
//             one line of the Dockerfile (a build arg's default, so its last RUN runs again);
//   skaffold: a skaffold.yaml directory (test/helpers/skaffold-dev-files.ts: two artifacts, app
//             requiring base, rawYaml with a Deployment each, kubectl deploy); each edit changes a
//             file of app's context (so app is built again, base kept).
// The clock runs from the write to the end of the iteration that deployed it (helm --wait, or
// kubectl apply and rollout status), and builder runs are counted at the exec door. p50 and p90
// over N edits per case; the cases run one after the other in the same run. Appends a line per
// case to bench/cache/dev-runs.tsv, with the load average at the end.
//   node --import tsx bench/cache/dev-latency.ts [EDITS] [--native|--skaffold]   (default: both; needs the test environment)
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pipeline } from '../../pipelines/schema.ts';
import type { DevTarget } from '../../runner/dev/dev-loop.ts';
import { nativeTarget } from '../../runner/dev/native-target.ts';
import { skaffoldTarget } from '../../runner/dev/skaffold-target.ts';
import { builds, startLoop, testKube } from '../../test/integration/dev/harness.ts';
import { useTestenvProcessEnv } from '../../test/integration/runner/harness.ts';
import { skaffoldDevFiles, writeFiles } from '../../test/helpers/skaffold-dev-files.ts';
import { ROOT, testenv, uniqueName } from '../../test/helpers/testenv.ts';
import { integerArg } from '../integer-arg.ts';

const args = process.argv.slice(2);
// the one argument that is not a --flag; before, one not all digits ("30s") was passed over for the default
const edits = integerArg(2, 'EDITS', 20, 1, 10_000, args.find((a) => !a.startsWith('--')));
const cases = args.includes('--native') ? ['native'] : args.includes('--skaffold') ? ['skaffold'] : ['native', 'skaffold'];
const HERE = path.dirname(fileURLToPath(import.meta.url));
useTestenvProcessEnv();
const { kube } = testKube();

interface Case {
  dir: string;
  target: DevTarget;
  /** The image each edit rebuilds. */
  edited: string;
  /** Images no edit touches (their builder runs must stay 0). */
  untouched: string[];
  edit(i: number): Promise<void>;
  what: string;
}

async function nativeCase(name: string): Promise<Case> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-dev-bench-'));
  await cp(path.join(ROOT, 'test/fixtures/runner-app'), dir, { recursive: true });
  const dockerfile = await readFile(path.join(dir, 'Dockerfile'), 'utf8');
  const image = `${testenv().registry}/slipway-dev-bench/${name}`;
  const pipeline = Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name },
    source: { repo: 'file:///unused', allowLocal: true },
    build: { artifacts: [{ image, docker: { buildArgs: { BASE: testenv().baseImage } } }] },
    deploy: {
      helm: {
        releases: [{ name: 'app', chartPath: 'chart', setValues: { 'image.repository': `{{ .Images.${name}.Repo }}`, 'image.tag': `{{ .Images.${name}.Tag }}`, 'image.digest': `{{ .Images.${name}.Digest }}` } }],
        timeout: '60s',
      },
    },
  });
  return {
    dir,
    target: nativeTarget(pipeline),
    edited: image,
    untouched: [],
    edit: (i) => writeFile(path.join(dir, 'Dockerfile'), dockerfile.replace('GREETING=hello', `GREETING=edit-${i}`)),
    what: 'native pipeline: one artifact, one helm release (--wait); each edit one Dockerfile line',
  };
}

async function skaffoldCase(name: string): Promise<Case> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-dev-bench-'));
  const base = `${testenv().registry}/slipway-dev-bench/${name}-base`;
  const app = `${testenv().registry}/slipway-dev-bench/${name}-app`;
  await writeFiles(dir, skaffoldDevFiles(base, app));
  return {
    dir,
    target: skaffoldTarget({ name: 'shop', dir, skaffold: { path: 'skaffold.yaml', profiles: [], module: [] } }),
    edited: app,
    untouched: [base],
    edit: (i) => writeFile(path.join(dir, 'app/page.txt'), `edit ${i}\n`),
    what: 'skaffold.yaml: two artifacts (app requires base), rawYaml, kubectl apply + rollout status; each edit one file of app',
  };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

for (const kind of cases) {
  const name = uniqueName('devbench');
  const c = kind === 'native' ? await nativeCase(name) : await skaffoldCase(name);
  const loop = startLoop({ dir: c.dir, target: c.target, namespace: name, kube, keepRunningOnFailure: true });
  try {
    const first = await loop.next(300_000);
    if (!first.ok) throw new Error(`${first.error}\n${loop.out.join('\n')}`);
    const mark = loop.calls.length;
    const latencies: number[] = [];
    for (let i = 1; i <= edits; i++) {
      const t = performance.now();
      await c.edit(i);
      const r = await loop.next();
      if (!r.ok) throw new Error(r.error);
      latencies.push(performance.now() - t);
    }
    const rebuilt = builds(loop.calls, c.edited, mark);
    const others = c.untouched.map((u) => builds(loop.calls, u, mark)).reduce((a, b) => a + b, 0);
    const load = loadavg()[0]!.toFixed(2);
    console.log(`${kind}: ${edits} edits, ${c.what}`);
    console.log(`  change → redeployed  p50 ${s(pct(latencies, 50))}  p90 ${s(pct(latencies, 90))}  min ${s(Math.min(...latencies))}  max ${s(Math.max(...latencies))}`);
    console.log(`  builder runs: ${rebuilt} of the edited artifact, ${others} of the others; load average ${load}`);
    await appendFile(
      path.join(HERE, 'dev-runs.tsv'),
      `${new Date().toISOString()}\t${edits}\t${(pct(latencies, 50) / 1000).toFixed(2)}\t${(pct(latencies, 90) / 1000).toFixed(2)}\t${kind}\t${load}\t${rebuilt}\t${others}\n`,
    );
  } finally {
    loop.controller.abort();
    await loop.done;
    await rm(c.dir, { recursive: true, force: true });
  }
}
