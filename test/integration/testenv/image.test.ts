// The test environment's registry and base image: a Dockerfile FROM the base image with a RUN
// step builds with buildah, pushes, and the registry serves it under the digest buildah reported.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { exec } from '../../../runner/exec.ts';
import { testenv, testenvChildEnv, uniqueName } from '../../helpers/testenv.ts';

const BUILDAH = ['buildah', '--storage-driver', 'vfs'];
let dir: string;
let ref: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-testenv-image-'));
  ref = `${testenv().registry}/slipway-testenv/${uniqueName('img')}:1`;
});
after(async () => {
  await exec([...BUILDAH, 'rmi', '--force', ref], { env: testenvChildEnv(), allowFailure: true });
  await rm(dir, { recursive: true, force: true });
});

void test('an image FROM the base image with a RUN step builds, pushes, and its digest reads back', async () => {
  const marker = uniqueName('ran');
  await writeFile(
    path.join(dir, 'Dockerfile'),
    `FROM ${testenv().baseImage}\nRUN echo "${marker}" > /marker && cat /marker && test -x /bin/sh\nCMD ["cat", "/marker"]\n`,
  );
  const env = testenvChildEnv();
  const built = await exec([...BUILDAH, 'bud', '--isolation', 'chroot', '-t', ref, dir], { env, timeoutMs: 300_000 });
  assert.match(built.stdout, new RegExp(marker), 'the RUN step ran inside the base image');

  const digestFile = path.join(dir, 'digest');
  await exec([...BUILDAH, 'push', '--tls-verify=false', '--digestfile', digestFile, ref, `docker://${ref}`], { env, timeoutMs: 300_000 });
  const pushed = (await readFile(digestFile, 'utf8')).trim();
  assert.match(pushed, /^sha256:[0-9a-f]{64}$/);

  const inspected = JSON.parse((await exec(['skopeo', 'inspect', '--tls-verify=false', `docker://${ref}`], { env })).stdout) as { Digest: string };
  assert.equal(inspected.Digest, pushed);

  const [repo, tag] = ref.slice(testenv().registry.length + 1).split(':');
  const head = await fetch(`http://${testenv().registry}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('docker-content-digest'), pushed);
});
