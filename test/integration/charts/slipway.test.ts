// charts/slipway, the chart that deploys Slipway itself: it lints, and it installs into the test
// cluster (server, runner and Redis ready; kwok plays the kubelet, and since volumes never bind
// there, the bundled Redis keeps its data in an emptyDir for this test). kwok never pulls an image,
// so the test checks what the created pods would run: the image the values name, the `slipway
// server` / `slipway runner` commands through the Dockerfile's entrypoint, and the Redis URL
// pointing at the chart's own Redis service.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../../../cli/commands/index.ts';
import { exec } from '../../../runner/exec.ts';
import { ROOT, testenv, testenvChildEnv, uniqueName } from '../../helpers/testenv.ts';

const chart = path.join(ROOT, 'charts/slipway');
const env = testenvChildEnv();
const helm = (...args: string[]) => exec([testenv().helm, ...args], { env, allowFailure: true, timeoutMs: 180_000 });
const kubectl = (...args: string[]) => exec(['kubectl', ...args], { env, allowFailure: true, timeoutMs: 60_000 });

interface PodContainer { name: string; image: string; command?: string[]; args?: string[]; env?: { name: string; value?: string; valueFrom?: unknown }[] }
interface PodList { items: { spec: { containers: PodContainer[]; serviceAccountName?: string } }[] }

async function podContainers(ns: string, selector: string): Promise<PodContainer[]> {
  const got = await kubectl('-n', ns, 'get', 'pods', '-l', selector, '-o', 'json');
  assert.equal(got.exitCode, 0, got.stderr);
  const list = JSON.parse(got.stdout) as PodList;
  assert.ok(list.items.length > 0, `no pods for ${selector}`);
  return list.items.flatMap((p) => p.spec.containers);
}

void test('charts/slipway lints and installs: server, runner and Redis come up', async () => {
  const lint = await helm('lint', chart);
  assert.equal(lint.exitCode, 0, lint.stdout + lint.stderr);

  const ns = uniqueName('slipway-chart');
  const image = 'registry.example/chart-check/slipway';
  const tag = `t-${ns.slice(-8)}`;
  // The image's entrypoint is the `slipway` CLI, so a container's args are a `slipway` command line.
  assert.match(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'), /^ENTRYPOINT \["node", "dist\/cli\/bin\.js"\]$/m);
  try {
    assert.equal((await kubectl('create', 'namespace', ns)).exitCode, 0);
    await kubectl('-n', ns, 'create', 'secret', 'generic', 'slipway-api-token', '--from-literal=token=t0ken');
    await kubectl('-n', ns, 'create', 'configmap', 'slipway-pipelines', `--from-file=${path.join(ROOT, 'examples/pipelines/hello.yaml')}`);
    const install = await helm('upgrade', '--install', 'sw', chart, '--namespace', ns, '--set', 'redis.persistence=false', '--set', `image.repository=${image}`, '--set', `image.tag=${tag}`, '--wait', '--timeout', '120s');
    assert.equal(install.exitCode, 0, install.stdout + install.stderr);
    const deploys = await kubectl('-n', ns, 'get', 'deploy', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.readyReplicas}{"\\n"}{end}');
    assert.deepEqual(deploys.stdout.trim().split('\n').sort(), ['sw-runner=1', 'sw-server=1']);
    const redis = await kubectl('-n', ns, 'get', 'statefulset', 'sw-redis', '-o', 'jsonpath={.status.readyReplicas}');
    assert.equal(redis.stdout.trim(), '1');
    const env = await kubectl('-n', ns, 'get', 'deploy', 'sw-runner', '-o', 'jsonpath={.spec.template.spec.containers[0].env[*].name}');
    assert.match(env.stdout, /SLIPWAY_REDIS_URL/);
    assert.match(env.stdout, /SLIPWAY_API_TOKEN/);

    // What the pods would run.
    const redisService = await kubectl('-n', ns, 'get', 'service', 'sw-redis', '-o', 'jsonpath={.spec.ports[0].port}');
    assert.equal(redisService.stdout.trim(), '6379');
    for (const [component, command] of [['server', 'server'], ['runner', 'runner']] as const) {
      const containers = await podContainers(ns, `app.kubernetes.io/instance=sw,app.kubernetes.io/component=${component}`);
      for (const c of containers) {
        assert.equal(c.image, `${image}:${tag}`, `${component} image`);
        assert.equal(c.command, undefined, `${component} keeps the image's entrypoint`);
        assert.deepEqual(c.args, [command], `${component} args`);
        assert.ok(COMMANDS[command], `slipway ${command} is a CLI command`);
        const vars = new Map((c.env ?? []).map((e) => [e.name, e]));
        assert.equal(vars.get('SLIPWAY_REDIS_URL')?.value, 'redis://sw-redis:6379', `${component} Redis URL`);
        assert.equal(vars.get('SLIPWAY_PIPELINES')?.value, '/pipelines');
        assert.deepEqual(vars.get('SLIPWAY_API_TOKEN')?.valueFrom, { secretKeyRef: { name: 'slipway-api-token', key: 'token' } });
        if (component === 'runner') {
          assert.equal(vars.get('SLIPWAY_CONCURRENCY')?.value, '2');
          assert.equal(vars.get('SLIPWAY_RUNNER_SERVICE_ACCOUNT')?.value, `${ns}/sw-runner`);
        }
      }
    }
    const redisPods = await podContainers(ns, 'app.kubernetes.io/instance=sw,app.kubernetes.io/name=slipway-redis');
    assert.equal(redisPods[0]?.name, 'redis');
  } finally {
    await helm('uninstall', 'sw', '--namespace', ns);
    await kubectl('delete', 'namespace', ns, '--wait=false');
  }
});
