// helm's post-renderer over a real chart: a chart that names the artifact's image directly gets
// the built reference, with no value wiring; a chart naming another namespace is refused.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { exec } from '../../../../runner/exec.ts';
import { postRendererFlags } from '../../../../runner/deployers/post-renderer.ts';
import { ROOT, testenv, testenvChildEnv } from '../../../helpers/testenv.ts';

const chart = path.join(ROOT, 'test/fixtures/skaffold/seed001/helm/app');
const ref = `127.0.0.1:5000/todo-list:3@sha256:${'f'.repeat(64)}`;

void test('the post-renderer replaces the artifact image in what helm renders, values or not', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-post-render-'));
  try {
    const flags = await postRendererFlags(path.join(dir, 'images.json'), { images: [{ name: 'todo-list', ref }], namespace: 'shop-main' });
    assert.equal(flags[0], '--post-renderer');
    assert.equal(flags[1], process.execPath);
    const res = await exec([testenv().helm, 'template', 'todo', chart, '--namespace', 'shop-main', ...flags], { env: testenvChildEnv() });
    const deployment = parseAllDocuments(res.stdout).map((d) => d.toJS() as { kind: string; spec: { template: { spec: { containers: { image: string }[] } } } }).find((d) => d.kind === 'Deployment');
    assert.deepEqual(deployment!.spec.template.spec.containers.map((c) => c.image), [ref, ref]);

    // a chart writing another namespace: refused by the post-renderer, helm reports it
    const otherChart = path.join(ROOT, 'test/fixtures/skaffold/charts/other-ns');
    const other = await exec([testenv().helm, 'template', 'sneaky', otherChart, '--namespace', 'shop-main', ...flags], { env: testenvChildEnv(), allowFailure: true });
    assert.notEqual(other.exitCode, 0);
    assert.match(other.stderr, /other-ns\/templates\/cm.yaml: ConfigMap sneaky names namespace kube-system: everything deploys into the environment namespace shop-main/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
