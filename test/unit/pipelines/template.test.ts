import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render, templateProblems } from '../../../pipelines/template.ts';

void test('a manual trigger\'s params render as {{ .Params.name }}', () => {
  assert.equal(render('env-{{ .Params.target }}-{{ .BuildNumber }}', { BuildNumber: '3', Params: { target: 'staging' } }), 'env-staging-3');
  assert.throws(() => render('{{ .Params.target }}', { Params: {} }), /no param named target in this build/);
  assert.deepEqual(templateProblems('{{ .Params }}'), ['use .Params.<name>']);
  assert.deepEqual(templateProblems('{{ .Branch.x }}'), ['.Branch has no fields']);
  assert.deepEqual(templateProblems('{{ .Images.app.Tag }} {{ .Params.a-b_1 }}'), []);
});
