// slipway dev's refusals, before anything is built or the cluster asked: no skaffold.yaml here,
// --pipeline with --filename, --profile for a native pipeline, a bad --cleanup.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../../../cli/main.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-dev-cli-unit-'));
  await writeFile(
    path.join(dir, 'native.yaml'),
    'apiVersion: slipway/v1\nkind: Pipeline\nmetadata: { name: native }\nsource: { repo: "file:///unused", allowLocal: true }\nbuild: { artifacts: [{ image: 127.0.0.1:1/app }] }\n',
  );
});
after(() => rm(dir, { recursive: true, force: true }));

async function dev(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['dev', ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: { SLIPWAY_DATA_DIR: path.join(dir, '.slipway') }, cwd: dir });
  return { code, out, err };
}

void test('slipway dev where there is no skaffold.yaml says what to do', async () => {
  const r = await dev();
  assert.notEqual(r.code, 0);
  assert.match(r.err, /no skaffold\.yaml in .*: run slipway dev where one is, name it with --filename, or give a Slipway pipeline with --pipeline FILE/);
  const named = await dev('-f', 'other/skaffold.yaml');
  assert.match(named.err, /other\/skaffold\.yaml: no such file/);
  // --skip-tests is an option of dev's (parsed, not an unknown option): the same refusal
  assert.match((await dev('--skip-tests')).err, /no skaffold\.yaml in /);
});

void test('slipway dev refuses --pipeline with --filename, --profile for a native pipeline, and a --cleanup that is not true or false', async () => {
  assert.match((await dev('--pipeline', 'native.yaml', '-f', 'skaffold.yaml')).err, /--pipeline and --filename name two different things to run/);
  assert.match((await dev('--pipeline', 'native.yaml', '-p', 'dev')).err, /--profile activates skaffold profiles; a Slipway pipeline's profiles follow branches/);
  assert.match((await dev('--cleanup=maybe')).err, /--cleanup takes true or false/);
});
