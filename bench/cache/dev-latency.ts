// slipway dev's change-to-redeployed latency: the loop runs on a copy of the runner-app fixture
// (one artifact, one helm release, against the test environment); each edit changes one line of
// the Dockerfile; the clock runs from the write to the end of the iteration that deployed it (the
// release upgraded with --wait, its Deployment on the new image). p50 and p90 over N edits.
// Appends a line to bench/cache/dev-runs.tsv.
//   node --import tsx bench/cache/dev-latency.ts [EDITS]        (needs the test environment)
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger } from '../../core/logger.ts';
import { Pipeline } from '../../pipelines/schema.ts';
import { devLoop, type IterationResult } from '../../runner/dev/dev-loop.ts';
import { nativeTarget } from '../../runner/dev/native-target.ts';
import { kubeClients } from '../../runner/environments/kube.ts';
import { exec } from '../../runner/exec.ts';
import { useTestenvProcessEnv } from '../../test/integration/runner/harness.ts';
import { ROOT, testenv, uniqueName } from '../../test/helpers/testenv.ts';

const edits = Number(process.argv[2] ?? 20);
const HERE = path.dirname(fileURLToPath(import.meta.url));
useTestenvProcessEnv();
const dir = await mkdtemp(path.join(tmpdir(), 'slipway-dev-bench-'));
await cp(path.join(ROOT, 'test/fixtures/runner-app'), dir, { recursive: true });
const dockerfile = await readFile(path.join(dir, 'Dockerfile'), 'utf8');
const name = uniqueName('devbench');
const kc = new KubeConfig();
kc.loadFromFile(testenv().kubeconfig);
const pipeline = Pipeline.parse({
  apiVersion: 'slipway/v1',
  kind: 'Pipeline',
  metadata: { name },
  source: { repo: 'file:///unused', allowLocal: true },
  build: { artifacts: [{ image: `${testenv().registry}/slipway-dev-bench/${name}`, docker: { buildArgs: { BASE: testenv().baseImage } } }] },
  deploy: {
    helm: {
      releases: [{ name: 'app', chartPath: 'chart', setValues: { 'image.repository': `{{ .Images.${name}.Repo }}`, 'image.tag': `{{ .Images.${name}.Tag }}`, 'image.digest': `{{ .Images.${name}.Digest }}` } }],
      timeout: '60s',
    },
  },
});

const controller = new AbortController();
let waiter: ((r: IterationResult) => void) | undefined;
const done = devLoop({
  dir,
  target: nativeTarget(pipeline),
  namespace: name,
  user: 'bench',
  keepRunningOnFailure: true,
  cleanup: true,
  exec,
  kube: kubeClients(kc),
  log: silentLogger(),
  helm: { bin: testenv().helm, env: { KUBECONFIG: testenv().kubeconfig } },
  signal: controller.signal,
  out: () => undefined,
  onIteration: (r) => waiter?.(r),
});
const next = () => new Promise<IterationResult>((resolve) => (waiter = resolve));

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
try {
  const first = await next();
  if (!first.ok) throw new Error(first.error);
  const latencies: number[] = [];
  for (let i = 1; i <= edits; i++) {
    const deployed = next();
    const t = performance.now();
    await writeFile(path.join(dir, 'Dockerfile'), dockerfile.replace('GREETING=hello', `GREETING=edit-${i}`));
    const r = await deployed;
    if (!r.ok) throw new Error(r.error);
    latencies.push(performance.now() - t);
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`${edits} edits of one Dockerfile line, each built and deployed (helm --wait) by slipway dev`);
  console.log(`change → redeployed  p50 ${s(pct(latencies, 50))}  p90 ${s(pct(latencies, 90))}  min ${s(Math.min(...latencies))}  max ${s(Math.max(...latencies))}`);
  await appendFile(path.join(HERE, 'dev-runs.tsv'), `${new Date().toISOString()}\t${edits}\t${(pct(latencies, 50) / 1000).toFixed(2)}\t${(pct(latencies, 90) / 1000).toFixed(2)}\n`);
} finally {
  controller.abort();
  await done;
  await rm(dir, { recursive: true, force: true });
}
