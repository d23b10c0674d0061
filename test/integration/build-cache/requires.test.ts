// The build cache with skaffold's requires: an artifact is rebuilt when an artifact it requires
// changed (its digest is among its inputs), reused when neither it nor what it requires changed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Pipeline } from '../../../pipelines/schema.ts';
import { testenv } from '../../helpers/testenv.ts';
import { cacheHarness, type BuildRun, type CacheHarness } from './harness.ts';

let h: CacheHarness;
let pipeline: Pipeline;
const built = (r: BuildRun) => r.builds.map((argv) => argv.at(-1)!.split('/').at(-1)!).sort();

before(async () => {
  h = await cacheHarness({ 'README.md': 'skaffold\n' }, []);
  const [base, app, other] = ['base', 'app', 'other'].map((s) => h.image(s));
  await h.repo.commit(
    {
      'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
build:
  tagPolicy:
    envTemplate:
      template: "{{.BUILD_NUMBER}}"
  artifacts:
    - image: ${base}
      context: base
      docker:
        buildArgs:
          BASE: ${testenv().baseImage}
    - image: ${app}
      context: app
      requires:
        - image: ${base}
          alias: BASE_IMAGE
    - image: ${other}
      context: other
      docker:
        buildArgs:
          BASE: ${testenv().baseImage}
`,
      'base/Dockerfile': 'ARG BASE\nFROM ${BASE}\nCOPY base.txt /base.txt\n',
      'base/base.txt': 'base v1\n',
      'app/Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN cat /base.txt > /app.txt\n',
      'other/Dockerfile': 'ARG BASE\nFROM ${BASE}\nCOPY other.txt /other.txt\n',
      'other/other.txt': 'other v1\n',
    },
    'skaffold',
  );
  pipeline = Pipeline.parse({
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: h.name },
    source: { repo: h.repo.url, allowLocal: true },
    skaffold: { path: 'skaffold.yaml' },
  });
});
after(async () => {
  await h.cleanup();
});

void test('a change to a required artifact rebuilds it and its dependents, nothing else', async () => {
  const first = await h.run(pipeline, 1);
  assert.equal(first.record.status, 'succeeded', first.log);
  assert.deepEqual(built(first), ['app', 'base', 'other']);

  await h.repo.commit({ 'other/other.txt': 'other v2\n' }, 'other only');
  const second = await h.run(pipeline, 2);
  assert.equal(second.record.status, 'succeeded', second.log);
  assert.deepEqual(built(second), ['other']);
  assert.match(second.log, /unchanged, reused .*\/app:2@sha256:/);

  await h.repo.commit({ 'base/base.txt': 'base v2\n' }, 'base');
  const third = await h.run(pipeline, 3);
  assert.equal(third.record.status, 'succeeded', third.log);
  assert.deepEqual(built(third), ['app', 'base'], 'app requires base: rebuilt with it');
  assert.match(third.log, /unchanged, reused .*\/other:3@sha256:/);

  const fourth = await h.run(pipeline, 4);
  assert.equal(fourth.record.status, 'succeeded', fourth.log);
  assert.deepEqual(built(fourth), []);
});
