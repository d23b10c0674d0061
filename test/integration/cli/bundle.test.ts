// The bundled CLI (npm run build, what the container image runs) as a process: every command's
// chunk loads, and `slipway run` goes through all its stages into the test cluster (namespace
// and release status through @kubernetes/client-node, loaded when the deploy starts, as is helm's
// version).
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { exec } from '../../../runner/exec.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { deleteNamespace, kubeClients, MANAGED_BY_LABEL, readNamespace } from '../../../runner/environments/kube.ts';
import { runnerAppPipeline } from '../../helpers/runner-app-pipeline.ts';
import { ROOT, testenv, testenvChildEnv, uniqueName } from '../../helpers/testenv.ts';

const name = uniqueName('bundle');
const outdir = path.join('.slipway', `test-dist-${name}`);
let dir: string;
let env: Record<string, string>;
const kube = () => {
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  return kubeClients(kc);
};

before(async () => {
  await exec(['node', '--import', 'tsx', 'scripts/build.ts', outdir], { cwd: ROOT, timeoutMs: 120_000 });
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-bundle-'));
  const repo = path.join(dir, 'repo');
  await cp(path.join(ROOT, 'test/fixtures/runner-app'), repo, { recursive: true });
  const gitEnv = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'app']]) await exec(['git', '-C', repo, ...args], { env: gitEnv });
  await mkdir(path.join(dir, 'pipelines'));
  await writeFile(
    path.join(dir, 'pipelines', `${name}.yaml`),
    runnerAppPipeline({
      name,
      repoUrl: `file://${repo}`,
      imagePath: `slipway-bundle-test/${name}`,
      releases: [
        '  helm:',
        '    releases:',
        '      - name: app',
        '        chartPath: chart',
        '        setValues:',
        `          image.repository: "{{ .Images.${name}.Repo }}"`,
        `          image.tag: "{{ .Images.${name}.Tag }}"`,
        `          image.digest: "{{ .Images.${name}.Digest }}"`,
        '    timeout: 60s',
      ],
      extra: [`environment: { namespace: ${name}, ttl: 1h }`],
    }),
  );
  env = {
    ...testenvChildEnv(),
    PATH: `${testenv().vars.SLIPWAY_TEST_BIN_DIRS}:${process.env.PATH ?? ''}`,
    SLIPWAY_REDIS_URL: testenv().redisUrl,
    SLIPWAY_KEY_PREFIX: `${name}:`,
    SLIPWAY_DATA_DIR: path.join(dir, '.slipway'),
    SLIPWAY_PIPELINES: path.join(dir, 'pipelines'),
  };
});
after(async () => {
  await deleteNamespace(kube(), name).catch(() => undefined);
  await rm(path.join(ROOT, outdir), { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

const bin = () => path.join(ROOT, outdir, 'cli', 'bin.js');

void test('every command of the bundle loads (help lists them all)', async () => {
  const res = await exec(['node', bin(), 'help'], { cwd: dir, env });
  for (const command of ['builds', 'logs', 'rerun', 'cancel', 'env', 'validate', 'schema', 'server', 'runner', 'up', 'run']) {
    assert.match(res.stdout, new RegExp(`slipway ${command}\\b`));
  }
  const valid = await exec(['node', bin(), 'validate', path.join(dir, 'pipelines', `${name}.yaml`)], { cwd: dir, env });
  assert.match(valid.stdout, new RegExp(`valid: ${name}`));
});

void test('slipway run from the bundle builds, tests and deploys into its own namespace, twice', async () => {
  for (const n of [1, 2]) {
    const res = await exec(['node', bin(), 'run', name], { cwd: dir, env, allowFailure: true, timeoutMs: 180_000 });
    assert.equal(res.exitCode, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /==> checkout[\s\S]*==> build[\s\S]*unit tests ran[\s\S]*==> deploy[\s\S]*build succeeded/);
    assert.match(res.stdout, new RegExp(`deployed to namespace ${name}`));
    assert.match(res.stdout, new RegExp(`image ${testenv().registry}/slipway-bundle-test/${name}:${n}@sha256:[0-9a-f]{64}`));
  }
  assert.equal((await readNamespace(kube(), name))?.metadata?.labels?.[MANAGED_BY_LABEL], 'slipway');
  const status = await exec([testenv().helm, 'status', 'app', '--namespace', name, '-o', 'json'], { env });
  const release = JSON.parse(status.stdout) as { version: number; info: { status: string } };
  assert.deepEqual([release.version, release.info.status], [2, 'deployed']);
  assert.equal(await readFile(path.join(dir, '.slipway', 'run-numbers', name), 'utf8'), '2');
});
