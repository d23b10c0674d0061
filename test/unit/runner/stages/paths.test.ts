import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathsMatch } from '../../../../runner/stages/checkout.ts';
import { resolveInside } from '../../../../runner/workspace-path.ts';

void test('path filters: paths include, ignorePaths exclude', () => {
  assert.equal(pathsMatch(['app/a.ts'], ['app/**'], []), true);
  assert.equal(pathsMatch(['docs/x.md'], ['app/**'], []), false);
  assert.equal(pathsMatch(['app/README.md'], ['app/**'], ['**/*.md']), false);
  assert.equal(pathsMatch(['x'], [], []), true);
});

void test('workspace paths cannot escape the checkout', () => {
  assert.equal(resolveInside('/w/b1', 'app/sub', 'workdir'), '/w/b1/app/sub');
  assert.equal(resolveInside('/w/b1', '.', 'workdir'), '/w/b1');
  assert.throws(() => resolveInside('/w/b1', '../b2', 'workdir'), /outside the repository/);
  assert.throws(() => resolveInside('/w/b1', 'a/../../x', 'workdir'), /outside the repository/);
  assert.throws(() => resolveInside('/w/b1', '/etc', 'workdir'), /inside the repository/);
});
