import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gogs } from '../../../../server/webhooks/gogs.ts';
import { ROOT } from '../../../helpers/testenv.ts';

const fixture = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/webhooks', name), 'utf8')) as Record<string, unknown>;

void test('a Gogs push normalises with its changed files', () => {
  const ev = gogs.normalise({ 'x-gogs-event': 'push' }, fixture('gogs-push.json'), 'g-1');
  assert.ok(ev.kind === 'push');
  assert.equal(ev.push.forge, 'gogs');
  assert.equal(ev.push.branch, 'feature/login');
  assert.deepEqual(ev.push.changedFiles, ['ch11/bulletin-board/src/index.html']);
  assert.equal(ev.push.filesComplete, true);
  assert.equal(ev.push.pusher, 'elton');
  assert.equal(gogs.signature({ 'x-gogs-signature': 'ff'.repeat(32), 'x-hub-signature-256': 'sha256=00' }), 'ff'.repeat(32));
  assert.equal(gogs.deliveryId({ 'x-gogs-delivery': 'abc' }), 'abc');
});

void test('a Gogs delete event is a deleted branch', () => {
  const ev = gogs.normalise({ 'x-gogs-event': 'delete' }, fixture('gogs-delete.json'), 'g-2');
  assert.ok(ev.kind === 'push');
  assert.deepEqual([ev.push.deleted, ev.push.branch, ev.push.ref], [true, 'feature/login', 'refs/heads/feature/login']);
});

void test('a Gogs push keeps the head commit\'s message and author; a payload without commits has none', () => {
  const ev = gogs.normalise({ 'x-gogs-event': 'push' }, fixture('gogs-push.json'), 'g-2');
  assert.ok(ev.kind === 'push');
  assert.deepEqual(ev.push.commit, { message: "Change the bulletin board's title\n", author: 'Elton' });
  const bare = gogs.normalise({ 'x-gogs-event': 'push' }, { ...fixture('gogs-push.json'), commits: [] }, 'g-3');
  assert.ok(bare.kind === 'push');
  assert.equal(bare.push.commit, undefined);
});
