// Skaffold's platforms through the runner: a Dockerfile artifact with one platform is built by
// buildah for it (--platform; the pushed image says so), a custom build gets every platform in
// $PLATFORMS (the artifact's own list overriding build.platforms), and a Dockerfile artifact for
// several platforms is refused before anything builds.
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

/** The os/architecture the pushed image's config says. */
async function platformOf(ref: string): Promise<string> {
  const [host, ...rest] = ref.split('@')[0]!.split('/');
  const [repo, tag] = rest.join('/').split(':');
  const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
  const manifest = (await (await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { headers: { accept } })).json()) as { config: { digest: string } };
  const config = (await (await fetch(`http://${host}/v2/${repo}/blobs/${manifest.config.digest}`)).json()) as { os: string; architecture: string };
  return `${config.os}/${config.architecture}`;
}

function skaffold(arm: string, custom: string, armPlatforms: string): string {
  return `apiVersion: skaffold/v4beta14
kind: Config
build:
  tagPolicy: { envTemplate: { template: "p{{.BUILD_NUMBER}}" } }
  platforms: [linux/amd64, linux/arm64]
  artifacts:
    - image: ${arm}
      context: arm
      platforms: ${armPlatforms}
      docker:
        buildArgs: { BASE: ${testenv().baseImage} }
    - image: ${custom}
      context: custom
      custom:
        buildCommand: sh build.sh
`;
}

void test('platforms: buildah --platform for a Dockerfile artifact, $PLATFORMS for a custom build, several for a Dockerfile refused', async () => {
  const arm = `${testenv().registry}/slipway-skaffold-test/${h.name}-arm`;
  const custom = `${testenv().registry}/slipway-skaffold-test/${h.name}-custom`;
  const files = {
    'skaffold.yaml': skaffold(arm, custom, '[linux/arm64]'),
    // no RUN step: building for another architecture needs no emulation; content of this test only,
    // so no layer cached from an amd64 build of the same single-architecture base stands in for it
    'arm/Dockerfile': 'ARG BASE\nFROM ${BASE}\nCOPY hello.txt /hello.txt\n',
    'arm/hello.txt': `hello from ${h.name}\n`,
    'custom/build.sh': `set -e
echo "custom build for platforms=$PLATFORMS"
buildah --storage-driver vfs bud --isolation chroot --build-arg BASE=${testenv().baseImage} -t "$IMAGE" "$BUILD_CONTEXT"
buildah --storage-driver vfs push --tls-verify=false "$IMAGE" "docker://$IMAGE"
`,
    'custom/Dockerfile': 'ARG BASE\nFROM ${BASE}\n',
  };
  await h.repo.commit(files, 'platforms');
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  await h.runner([pipeline]);
  const build = await h.waitFinal((await h.enqueue(pipeline)).id, 240_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'succeeded', log);

  const bud = h.calls.find((c) => buildahArgv(c.argv)?.includes('bud') && c.argv.includes(`${arm}:p${build.number}`));
  assert.ok(bud, 'buildah bud of the arm artifact');
  assert.deepEqual(bud.argv.slice(bud.argv.indexOf('--platform'), bud.argv.indexOf('--platform') + 2), ['--platform', 'linux/arm64']);
  const armImage = build.images.find((i) => i.name === arm)!;
  assert.equal(await platformOf(armImage.ref), "linux/arm64", log);

  assert.match(log, /custom build for platforms=linux\/amd64,linux\/arm64/);
  assert.equal(h.calls.find((c) => c.argv.at(-1) === 'sh build.sh')?.options.env?.PLATFORMS, 'linux/amd64,linux/arm64');

  // the Dockerfile artifact now takes build.platforms (two of them): refused, nothing built
  await h.repo.commit({ ...files, 'skaffold.yaml': skaffold(arm, custom, '[]').replace('      platforms: []\n', '') }, 'two platforms');
  const before = h.calls.length;
  const refused = await h.waitFinal((await h.enqueue(pipeline)).id, 120_000);
  const refusedLog = await h.logs.text(refused.id);
  assert.equal(refused.status, 'failed', refusedLog);
  assert.match(refusedLog, new RegExp(`artifact ${arm.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(skaffold\\.yaml:\\d+\\): building for several platforms \\(linux/amd64, linux/arm64\\) is not supported by this runner`));
  assert.equal(h.calls.slice(before).filter((c) => c.argv.includes('bud') || c.argv.at(-1) === 'sh build.sh').length, 0, 'nothing was built');
});
