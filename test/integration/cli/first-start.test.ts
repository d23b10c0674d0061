// The first `slipway up` from a fresh checkout prints only what matters: the checkout's pipelines/
// folder holds no pipeline files (the examples, which point at a Gogs and a registry a new machine
// does not have, are in examples/pipelines/), so no warning greets a new user.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadPipelines } from '../../../pipelines/load.ts';
import { exec } from '../../../runner/exec.ts';
import { ROOT, testenv, testRedis } from '../../helpers/testenv.ts';

const t = await testRedis();
const dataDir = await mkdtemp(path.join(tmpdir(), 'slipway-first-start-'));
after(async () => {
  await t.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

void test('a first up from the checkout prints no warnings; the example pipelines still load from examples/', async () => {
  const output: string[] = [];
  let pid: number | undefined;
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const up = exec(['node', '--import', 'tsx', path.join(ROOT, 'cli/bin.ts'), 'up', '--no-demo'], {
    cwd: ROOT,
    env: {
      SLIPWAY_DATA_DIR: dataDir,
      SLIPWAY_PIPELINES: undefined,
      SLIPWAY_REDIS_URL: testenv().redisUrl,
      SLIPWAY_KEY_PREFIX: t.prefix,
      SLIPWAY_PORT: '0',
      SLIPWAY_API_TOKEN: undefined,
      KUBECONFIG: testenv().kubeconfig,
    },
    allowFailure: true,
    timeoutMs: 120_000,
    onSpawn: (p) => (pid = p),
    onLine: (line) => {
      output.push(line);
      if (line.startsWith('Ctrl-C stops everything.')) ready();
    },
  });
  await Promise.race([isReady, up.then((r) => assert.fail(`up exited (${r.exitCode}):\n${output.join('\n')}`))]);
  process.kill(pid!, 'SIGINT');
  assert.equal((await up).exitCode, 0, output.join('\n'));
  const text = output.join('\n');
  assert.doesNotMatch(text, /warn|pipeline error|does not answer|secret/i, text);
  assert.match(text, /pipelines\s+\(none\)/);

  const examples = await loadPipelines(path.join(ROOT, 'examples/pipelines'));
  assert.deepEqual(examples.errors, []);
  assert.deepEqual(examples.pipelines.map((p) => p.pipeline.metadata.name).sort(), ['bulletin-board', 'hello']);
});
