import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validate } from '../../../../cli/commands/validate.ts';
import { ROOT } from '../../../helpers/testenv.ts';

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await validate.run(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, cwd: ROOT });
  return { code, out, err };
}

void test('slipway validate checks skaffold.yaml files: unsupported fields are warnings, the file is valid', async () => {
  const res = await run('test/fixtures/skaffold/seed002/skaffold.yaml');
  assert.equal(res.code, 0);
  assert.equal(res.out, 'test/fixtures/skaffold/seed002/skaffold.yaml: skaffold config valid\n');
  assert.equal(res.err, 'warning: test/fixtures/skaffold/seed002/skaffold.yaml:25:7: build.artifacts[0].jib: the jib builder is not supported by this runner: a build that needs it fails before anything is built\n');
});

void test("slipway validate warns of a profile's local.push: false under a deploy (the cluster gets images nobody pushed), at the profile's push", async () => {
  const res = await run('test/fixtures/skaffold/seed001/skaffold.yaml');
  assert.equal(res.code, 0);
  assert.equal(res.out, 'test/fixtures/skaffold/seed001/skaffold.yaml: skaffold config valid\n');
  assert.equal(
    res.err,
    'warning: test/fixtures/skaffold/seed001/skaffold.yaml:18:15: build.local.push is false (profile dev): todo-list is not pushed, and the deploy names it; the cluster must already have it (Slipway does not load images into a cluster)\n',
  );
});

void test('slipway validate tries every profile: a broken patch path and an unknown field are errors with file:line:column', async () => {
  const res = await run('test/fixtures/skaffold/broken/patch-path.yaml', 'test/fixtures/skaffold/broken/unknown-field.yaml', 'examples/pipelines/hello.yaml');
  assert.equal(res.code, 1);
  assert.equal(
    res.err,
    [
      'test/fixtures/skaffold/broken/patch-path.yaml:10:15: profiles[0].patches[0].path: profile staging: patch replace: path /build/artifacts/1/docker/dockerfile does not exist',
      'test/fixtures/skaffold/broken/unknown-field.yaml:8:9: build.artifacts[0].docker.dockerFile: unknown key',
      '2 problems',
      '',
    ].join('\n'),
  );
});

void test('slipway validate reads each skaffold.yaml with its own apiVersion: fields of later versions are errors at file:line:column, fields Slipway does not run are warnings', async () => {
  const older = 'test/fixtures/skaffold/versions/v2beta29-v3-fields.yaml';
  const newer = 'test/fixtures/skaffold/versions/v4beta14-unsupported.yaml';
  const res = await run(older, newer);
  assert.equal(res.code, 1);
  assert.equal(
    res.err,
    [
      `warning: ${newer}:5:3: metadata.labels: not used by this runner; ignored`,
      `warning: ${newer}:8:3: build.hooks: build hooks are not run; ignored`,
      `warning: ${newer}:13:9: build.artifacts[0].docker.secrets: build secrets are not passed to the builder: a build that needs it fails before anything is built`,
      `warning: ${newer}:18:3: manifests.transform: manifest transforms are not run; ignored`,
      `warning: ${newer}:20:1: customActions: custom actions are not run; ignored`,
      `${older}:5:3: metadata.labels: unknown key in skaffold/v2beta29 (added in skaffold/v3alpha1)`,
      `${older}:12:1: verify: unknown key in skaffold/v2beta29 (added in skaffold/v3alpha1)`,
      `${older}:17:5: profiles[0].requiresAllActivations: unknown key in skaffold/v2beta29 (added in skaffold/v3alpha1)`,
      '3 problems',
      '',
    ].join('\n'),
  );
  // the newer file alone is valid: its warnings do not fail it
  const alone = await run(newer);
  assert.equal(alone.code, 0);
  assert.equal(alone.out, `${newer}: skaffold config valid\n`);
});
