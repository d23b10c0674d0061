import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planTemplateProblems, renderPlanTemplate } from '../../../pipelines/plan-template.ts';

const vars = {
  slipway: { BuildNumber: '7', Branch: 'main', Images: { app: { Repo: 'r.test/app', Tag: '7', Digest: 'sha256:abc', Ref: 'r.test/app:7@sha256:abc' } }, Params: { target: 'qa' } },
  values: { BUILD_NUMBER: '7', IMAGE_REPO_app: 'r.test/app', EMPTY: '' },
};

void test("Slipway's variables, its images and a manual trigger's params render as in a native pipeline", () => {
  assert.equal(renderPlanTemplate('{{ .BuildNumber }}-{{ .Branch }}', vars), '7-main');
  assert.equal(renderPlanTemplate('{{ .Images.app.Ref }}', vars), 'r.test/app:7@sha256:abc');
  assert.equal(renderPlanTemplate('env-{{ .Params.target }}', vars), 'env-qa');
  assert.throws(() => renderPlanTemplate('{{ .Params.nope }}', vars), /\.Params\.nope has no value in this build/);
  assert.throws(() => renderPlanTemplate('{{ .Images.other.Tag }}', vars), /\.Images\.other\.Tag has no value/);
});

void test("Skaffold's variables with default; a key after a variable other than Params is not a template", () => {
  assert.equal(renderPlanTemplate('{{.IMAGE_REPO_app}}:{{.BUILD_NUMBER}}', vars), 'r.test/app:7');
  assert.equal(renderPlanTemplate('{{default "x" .EMPTY}}-{{.NOPE | default "y"}}', vars), 'x-y');
  assert.deepEqual(planTemplateProblems('{{ .Params.a-b_1 }} {{ .Images.app.Tag }}'), []);
  assert.equal(planTemplateProblems('{{ .Branch.x }}').length, 1);
  assert.throws(() => renderPlanTemplate('{{.NOPE}}', vars), /\.NOPE has no value/);
});
