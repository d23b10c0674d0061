import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gitea } from '../../../../server/webhooks/gitea.ts';
import { ROOT } from '../../../helpers/testenv.ts';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/webhooks', name), 'utf8')) as Record<string, unknown>;

void test('a Gitea push normalises; a cut commit list leaves the paths to the runner', () => {
  const payload = fixture('gitea-push.json');
  const ev = gitea.normalise({ 'x-gitea-event': 'push' }, payload, 'e-1');
  assert.ok(ev.kind === 'push');
  assert.deepEqual(ev.push.changedFiles.sort(), ['src/health.ts', 'src/server.ts']);
  assert.equal(ev.push.filesComplete, true);
  payload.total_commits = 40;
  const cut = gitea.normalise({ 'x-gitea-event': 'push' }, payload, 'e-2');
  assert.ok(cut.kind === 'push' && cut.push.filesComplete === false);
});

void test('the route decides the format: GitHub-style headers fall back only for the event name', () => {
  const ev = gitea.normalise({ 'x-github-event': 'delete' }, fixture('gitea-delete.json'), 'e-3');
  assert.ok(ev.kind === 'push' && ev.push.deleted && ev.push.branch === 'feature/health');
  assert.equal(gitea.signature({ 'x-hub-signature-256': `sha256=${'aa'.repeat(32)}` }), undefined);
});
