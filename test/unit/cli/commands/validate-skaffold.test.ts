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
  assert.equal(res.err, 'warning: test/fixtures/skaffold/seed002/skaffold.yaml:25:7: build.artifacts[0].jib: the jib builder is not supported by this runner: the artifact fails to build\n');
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
