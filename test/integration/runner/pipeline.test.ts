// A build through the queue and every stage against the real testenv: the image in the
// registry with tag = build number and the recorded digest, the release deployed and Ready, the
// exact buildah and helm argv at the exec door, and secrets masked in the stored log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { testenv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';
import { buildahArgv } from '../../helpers/buildah-argv.ts';

let h: RunnerHarness;
before(async () => {
  h = await runnerHarness();
});
after(async () => {
  await h.cleanup();
});

async function registryDigest(image: string, tag: string): Promise<string | null> {
  const [host, ...rest] = image.split('/');
  const res = await fetch(`http://${host}/v2/${rest.join('/')}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  return res.ok ? res.headers.get('docker-content-digest') : null;
}

void test('a build goes through every stage: pushed image, deployed release, exact argv, masked secrets', async () => {
  const secret = 'pa55/w0rd+S3cret&';
  process.env.RUNNER_TEST_SECRET = secret;
  const pipeline = h.pipeline({
    test: [
      {
        name: 'leaky',
        run: ['sh', '-c', 'echo "raw=$TOKEN"; printf "b64=%s\\n" "$(printf %s "$TOKEN" | base64)"; echo "url=$TOKEN_URL"'],
        env: { TOKEN_URL: encodeURIComponent(secret) },
        secretEnv: { TOKEN: { env: 'RUNNER_TEST_SECRET' } },
      },
    ],
  });
  await h.runner([pipeline]);
  const queued = await h.enqueue(pipeline);
  const build = await h.waitFinal(queued.id);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'succeeded', log);
  assert.deepEqual(build.stages.map((s) => `${s.name}:${s.status}`), ['checkout:succeeded', 'build:succeeded', 'test:succeeded', 'deploy:succeeded', 'report:skipped']);

  // the image: tag = build number, recorded digest = the registry's
  const [img] = build.images;
  assert.ok(img);
  assert.equal(img.tag, String(build.number));
  assert.equal(img.name, h.image);
  assert.match(img.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(img.ref, `${h.image}:${build.number}@${img.digest}`);
  assert.equal(await registryDigest(h.image, img.tag), img.digest);

  // the release: deployed, its Deployment Ready in the pipeline's namespace, on the built digest
  assert.equal(build.environment?.namespace, h.namespace);
  const dep = await h.apps.readNamespacedDeployment({ name: 'app', namespace: h.namespace });
  assert.equal(dep.status?.readyReplicas, 1);
  assert.equal(dep.spec?.template.spec?.containers[0]?.image, `${h.image}:${img.tag}@${img.digest}`);

  // the exact argv at the exec door
  const argvs = h.calls.map((c) => c.argv);
  const buildArgv = argvs.map(buildahArgv).find((a) => a?.includes('bud'))!;
  const workspace = buildArgv.at(-1)!;
  assert.deepEqual(buildArgv, [
    'buildah', '--storage-driver', 'vfs', 'bud', '--isolation', 'chroot', '-f', `${workspace}/Dockerfile`,
    '-t', `${h.image}:${build.number}`, '--layers', '--cache-from', `${h.image}/cache`, '--cache-to', `${h.image}/cache`,
    '--build-arg', `BASE=${testenv().baseImage}`, workspace,
  ]);
  const pushArgv = argvs.find((a) => a[0] === 'buildah' && a.includes('push'))!;
  assert.deepEqual(pushArgv.filter((a) => !a.includes('slipway-digest-')), [
    'buildah', '--storage-driver', 'vfs', 'push', '--digestfile', '--tls-verify=false', `${h.image}:${build.number}`, `docker://${h.image}:${build.number}`,
  ]);
  const upgrade = argvs.find((a) => a[1] === 'upgrade')!;
  assert.deepEqual(upgrade, [
    testenv().helm, 'upgrade', '--install', 'app', `${workspace}/chart`, '--namespace', h.namespace, '--create-namespace', '--atomic',
    '--wait', '--timeout', '60s',
    '--set-string', `image.repository=${h.image}`, '--set-string', `image.tag=${build.number}`, '--set-string', `image.digest=${img.digest}`,
  ]);
  // registry credentials never in argv
  assert.ok(!argvs.flat().some((a) => /--creds|password/i.test(a)));

  // the secret, its base64 and URL-encoded forms never reach the stored log
  for (const form of [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)]) assert.ok(!log.includes(form), `leaked ${form}`);
  assert.match(log, /raw=\*\*\*/);
  assert.match(log, /b64=\*\*\*/);
  assert.match(log, /url=\*\*\*/);
  // the workspace is gone afterwards
  await assert.rejects(import('node:fs/promises').then((fs) => fs.stat(workspace)));
});

void test('a step sees each built image as IMAGE_<NAME> (name:tag@digest), with its build number and commit', async () => {
  const own = await runnerHarness(); // its own runner: the one above knows this pipeline's name too
  try {
    const pipeline = own.pipeline({
      deploy: {},
      test: [{ name: 'who', run: ['sh', '-c', `echo "image=$IMAGE_${own.name.toUpperCase().replace(/-/g, '_')} n=$BUILD_NUMBER c=$GIT_COMMIT"`] }],
    });
    await own.runner([pipeline]);
    const done = await own.waitFinal((await own.enqueue(pipeline)).id);
    const log = await own.logs.text(done.id);
    assert.equal(done.status, 'succeeded', log);
    const image = done.images[0]!;
    assert.match(image.ref, /@sha256:[0-9a-f]{64}$/);
    assert.ok(log.includes(`image=${image.ref} n=${done.number} c=${done.sha}`), log);
  } finally {
    await own.cleanup();
  }
});
