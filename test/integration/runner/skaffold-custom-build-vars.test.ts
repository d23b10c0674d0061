// A skaffold/v2beta6 file shaped like Skaffold's templated-fields example: an executable
// `./build.sh` custom build that names its image by $IMAGE_REPO and $IMAGE_TAG (the parts of
// $IMAGE Skaffold's custom builder also passes) instead of $IMAGE, and a legacy deploy.helm release
// with artifactOverrides and setValueTemplates of the single artifact's {{.IMAGE_REPO}} and
// {{.IMAGE_TAG}}. Before, the script got neither variable and tagged `:` (buildah: invalid
// reference format). Real sandbox, buildah, registry and helm against the test API.
import assert from 'node:assert/strict';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { exec } from '../../../runner/exec.ts';
import { tagsOf } from '../../helpers/registry-tags.ts';
import { testenv, testenvChildEnv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

let h: RunnerHarness;
before(async () => {
  h = await runnerHarness();
});
after(async () => {
  await h.helm('uninstall', 'templated', '--namespace', h.namespace);
  await h.cleanup();
});

void test('a custom build script gets $IMAGE_REPO and $IMAGE_TAG, as Skaffold passes them, and the helm release its templates', async () => {
  const image = `${testenv().registry}/slipway-custom-vars/${h.name}`;
  await h.repo.commit({
    'skaffold.yaml': `apiVersion: skaffold/v2beta6
kind: Config
metadata:
  name: templated
build:
  artifacts:
    - image: ${image}
      custom:
        buildCommand: ./build.sh
        dependencies:
          paths: [main.sh]
deploy:
  helm:
    releases:
      - name: templated
        chartPath: charts
        artifactOverrides:
          image: ${image}
        setValueTemplates:
          imageRepo: "{{.IMAGE_REPO}}"
          imageTag: "{{.IMAGE_TAG}}"
`,
    'build.sh': `#!/bin/sh
set -e
img="\${IMAGE_REPO}:\${IMAGE_TAG}"
echo "script builds $img"
buildah --storage-driver vfs bud --isolation chroot --build-arg BASE=${testenv().baseImage} -t "$img" .
if $PUSH_IMAGE; then buildah --storage-driver vfs push --tls-verify=false "$img" "docker://$img"; fi
`,
    'main.sh': 'echo templated\n',
    Dockerfile: 'ARG BASE\nFROM ${BASE}\nCOPY main.sh /main.sh\n',
    'charts/Chart.yaml': 'apiVersion: v2\nname: templated\nversion: 0.1.0\n',
    'charts/values.yaml': 'image: none\nimageRepo: none\nimageTag: none\n',
    'charts/templates/configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: templated
data:
  image: {{ .Values.image | quote }}
  repo: {{ .Values.imageRepo | quote }}
  tag: {{ .Values.imageTag | quote }}
`,
  }, 'templated fields');
  await chmod(path.join(h.repo.dir, 'build.sh'), 0o755);
  const sha = await h.repo.commit({}, 'build.sh executable, as in the example');

  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  await h.runner([pipeline]);
  const build = await h.waitFinal((await h.enqueue(pipeline, { sha })).id, 240_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'succeeded', log);

  // the default gitCommit tag; the script tagged and pushed exactly $IMAGE
  const [img] = build.images;
  const tag = sha.slice(0, 7);
  assert.equal(img?.tag, tag, log);
  assert.match(log, new RegExp(`^script builds ${image.replace(/[.]/g, '\\.')}:${tag}$`, 'm'));
  assert.ok((await tagsOf(image)).includes(tag));
  const call = h.calls.find((c) => c.argv.at(-1) === './build.sh');
  assert.equal(call?.options.env?.IMAGE, `${image}:${tag}`);
  assert.equal(call?.options.env?.IMAGE_REPO, image);
  assert.equal(call?.options.env?.IMAGE_TAG, tag);

  // the release: artifactOverrides (upgraded to setValueTemplates) gives the pushed reference, the templates its parts
  const cm = await exec(['kubectl', 'get', 'configmap', 'templated', '--namespace', h.namespace, '--output', 'jsonpath={.data}'], { env: testenvChildEnv() });
  assert.deepEqual(JSON.parse(cm.stdout), { image: img!.ref, repo: image, tag });
});
