// charts/slipway, the chart that deploys Slipway itself: it lints, and it installs into the test
// cluster (server, runner and Redis ready; kwok plays the kubelet, and since volumes never bind
// there, the bundled Redis keeps its data in an emptyDir for this test).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { exec } from '../../../runner/exec.ts';
import { ROOT, testenv, testenvChildEnv, uniqueName } from '../../helpers/testenv.ts';

const chart = path.join(ROOT, 'charts/slipway');
const env = testenvChildEnv();
const helm = (...args: string[]) => exec([testenv().helm, ...args], { env, allowFailure: true, timeoutMs: 180_000 });
const kubectl = (...args: string[]) => exec(['kubectl', ...args], { env, allowFailure: true, timeoutMs: 60_000 });

void test('charts/slipway lints and installs: server, runner and Redis come up', async () => {
  const lint = await helm('lint', chart);
  assert.equal(lint.exitCode, 0, lint.stdout + lint.stderr);

  const ns = uniqueName('slipway-chart');
  try {
    assert.equal((await kubectl('create', 'namespace', ns)).exitCode, 0);
    await kubectl('-n', ns, 'create', 'secret', 'generic', 'slipway-api-token', '--from-literal=token=t0ken');
    await kubectl('-n', ns, 'create', 'configmap', 'slipway-pipelines', `--from-file=${path.join(ROOT, 'examples/pipelines/hello.yaml')}`);
    const install = await helm('upgrade', '--install', 'sw', chart, '--namespace', ns, '--set', 'redis.persistence=false', '--wait', '--timeout', '120s');
    assert.equal(install.exitCode, 0, install.stdout + install.stderr);
    const deploys = await kubectl('-n', ns, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.readyReplicas}{"\\n"}{end}');
    assert.deepEqual(deploys.stdout.trim().split('\n').sort(), ['sw-runner=1', 'sw-server=1']);
    const redis = await kubectl('-n', ns, 'get', 'statefulset', 'sw-redis', '-o', 'jsonpath={.status.readyReplicas}');
    assert.equal(redis.stdout.trim(), '1');
    const env = await kubectl('-n', ns, 'get', 'deploy', 'sw-runner', '-o', 'jsonpath={.spec.template.spec.containers[0].env[*].name}');
    assert.match(env.stdout, /SLIPWAY_REDIS_URL/);
    assert.match(env.stdout, /SLIPWAY_API_TOKEN/);
  } finally {
    await helm('uninstall', 'sw', '--namespace', ns);
    await kubectl('delete', 'namespace', ns, '--wait=false');
  }
});
