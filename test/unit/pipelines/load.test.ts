import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { formatProblem } from '../../../core/errors.ts';
import { loadPipelines, parsePipelines } from '../../../pipelines/load.ts';
import { ROOT } from '../../helpers/testenv.ts';

const BROKEN = `apiVersion: slipway/v1
kind: Pipeline
metadata:
  name: Bad_Name
  colour: blue
source:
  repo: http://x/y.git
  secret: { env: "1abc" }
build:
  builder: podman
  artifacts:
    - image: reg/app
      context: "{{ .Branchh }}"
test:
  - name: t
    run: []
deploy:
  helm:
    releases:
      - name: r
`;

void test('every problem of a file is reported at once with file:line:column', () => {
  const { pipelines, errors } = parsePipelines(BROKEN, 'bad.yaml');
  assert.equal(pipelines.length, 0);
  assert.deepEqual(errors.map(formatProblem), [
    'bad.yaml:4:9: metadata.name: must be lowercase letters, digits and dashes (a DNS-1123 label)',
    'bad.yaml:5:3: metadata.colour: unknown key',
    'bad.yaml:8:18: source.secret.env: must be an environment variable name',
    'bad.yaml:10:12: build.builder: Invalid option: expected one of "docker"|"buildah"|"buildkit"|"kaniko"',
    'bad.yaml:13:16: build.artifacts[0].context: unknown template variable .Branchh',
    'bad.yaml:16:5: test[0].run: must be an argv array with at least the command',
    'bad.yaml:20:9: deploy.helm.releases[0].chartPath: chartPath is required',
  ]);
});

void test('a YAML syntax error has its place', () => {
  const { errors } = parsePipelines('apiVersion: slipway/v1\nkind: [Pipeline\nmetadata: {}\n', 'syn.yaml');
  assert.ok(errors.length >= 1);
  assert.equal(errors[0]!.file, 'syn.yaml');
  assert.ok(errors[0]!.line! >= 2, formatProblem(errors[0]!));
});

void test('a missing required section points at its parent', () => {
  const { errors } = parsePipelines('apiVersion: slipway/v1\nkind: Pipeline\nmetadata:\n  name: ok\n', 'm.yaml');
  assert.deepEqual(errors.map(formatProblem), ['m.yaml:1:1: source: source is required']);
});

void test('the example pipelines load, with defaults applied', async () => {
  const { pipelines, errors } = await loadPipelines(path.join(ROOT, 'examples/pipelines'));
  assert.deepEqual(errors, []);
  const names = pipelines.map((p) => p.pipeline.metadata.name);
  assert.ok(names.includes('bulletin-board'));
  const hello = pipelines.find((p) => p.pipeline.metadata.name === 'hello')!.pipeline;
  assert.deepEqual(hello.on.push.branches, ['**']);
  assert.equal(hello.build.builder, 'buildah');
});

void test('a broken file is reported and the others still load; duplicate names are an error', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-load-'));
  try {
    const good = 'apiVersion: slipway/v1\nkind: Pipeline\nmetadata:\n  name: app\nsource:\n  repo: http://h/r.git\n';
    await writeFile(path.join(dir, 'a.yaml'), good);
    await writeFile(path.join(dir, 'b.yaml'), BROKEN);
    await writeFile(path.join(dir, 'c.yml'), `# same name again\n${good}`);
    const { pipelines, errors } = await loadPipelines(dir);
    assert.deepEqual(pipelines.map((p) => path.basename(p.file)), ['a.yaml']);
    assert.ok(errors.some((e) => e.file?.endsWith('b.yaml')));
    const dup = errors.find((e) => e.file?.endsWith('c.yml'));
    assert.ok(dup);
    assert.match(formatProblem(dup), /c\.yml:5:9: metadata\.name: duplicate pipeline name app/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
