// A custom build command's sandbox (runner/sandbox.ts with runner/builder-access.ts): buildah in
// it builds from the test registry's base image and pushes to the registry, while the runner's
// kubeconfig, its environment (through /proc/1/environ and its own) and a canary secret stay out
// of sight. The Dockerfile has a RUN step: buildah's chroot isolation calls setgroups(), which
// the builder mode's user namespace (unshare with uids 0..65535 mapped) allows.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { builderAccessFromEnv } from '../../../runner/builder-access.ts';
import { exec } from '../../../runner/exec.ts';
import { bubblewrapSandbox } from '../../../runner/sandbox.ts';
import { testenv, testenvChildEnv, uniqueName } from '../../helpers/testenv.ts';

const CANARY = `builder-runner-canary-${process.pid}-4b1d`;
let workspace: string | undefined;
after(async () => {
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

void test('a sandboxed custom build command builds and pushes, but sees no kubeconfig, runner environment or canary', async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'slipway-sandbox-builder-'));
  await writeFile(path.join(workspace, 'Dockerfile'), 'ARG BASE\nFROM ${BASE}\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt > /ran.txt && echo ran-in-build\n');
  await writeFile(path.join(workspace, 'hello.txt'), 'hello\n');
  const kubeconfig = testenv().kubeconfig;
  const image = `${testenv().registry}/slipway-sandbox-builder/${uniqueName('img')}:1`;
  const runnerEnv = { ...process.env, ...testenvChildEnv(), SLIPWAY_CANARY_SECRET: CANARY };
  const script = [
    `if cat ${kubeconfig} >/dev/null 2>&1; then echo "KUBECONFIG READABLE"; else echo "no kubeconfig"; fi`,
    'if tr "\\0" "\\n" </proc/1/environ | grep -q SLIPWAY_CANARY_SECRET; then echo "ENVIRON LEAK"; else echo "environ clean"; fi',
    'echo "canary: [${SLIPWAY_CANARY_SECRET:-}] kube: [${KUBECONFIG:-}]"',
    'buildah --storage-driver vfs bud --isolation chroot --build-arg BASE="$BASE" -t "$IMAGE" "$BUILD_CONTEXT"',
    'buildah --storage-driver vfs push --tls-verify=false "$IMAGE" "docker://$IMAGE"',
    'echo built-and-pushed',
  ].join('\n');
  const cmd = bubblewrapSandbox().command({
    argv: ['sh', '-c', script],
    workspace,
    cwd: workspace,
    env: { IMAGE: image, PUSH_IMAGE: 'true', BUILD_CONTEXT: workspace, BASE: testenv().baseImage },
    builder: builderAccessFromEnv(runnerEnv),
  });
  const lines: string[] = [];
  await exec(cmd.argv, { ...cmd.options, timeoutMs: 180_000, onLine: (l) => lines.push(l) });
  const log = lines.join('\n');
  assert.match(log, /^no kubeconfig$/m);
  assert.match(log, /^environ clean$/m);
  assert.match(log, /^canary: \[\] kube: \[\]$/m);
  assert.ok(!log.includes(CANARY), log);
  assert.match(log, /^ran-in-build$/m);
  assert.match(log, /^built-and-pushed$/m);
  // the image is in the registry
  const inspect = await exec(['skopeo', 'inspect', '--tls-verify=false', '--format', '{{.Digest}}', `docker://${image}`], { env: testenvChildEnv() });
  assert.match(inspect.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
});
