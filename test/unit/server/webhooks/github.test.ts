import assert from 'node:assert/strict';
import { test } from 'node:test';
import examples from '@octokit/webhooks-examples/api.github.com/index.json' with { type: 'json' };
import { WebhookError } from '../../../../core/errors.ts';
import { github } from '../../../../server/webhooks/github.ts';

type Json = Record<string, unknown>;
const pushes = (examples as { name: string; examples: Json[] }[]).find((e) => e.name === 'push')!.examples;
const headers = (event: string) => ({ 'x-github-event': event, 'x-github-delivery': 'd-1', 'x-hub-signature-256': `sha256=${'ab'.repeat(32)}` });

void test('a branch push from GitHub normalises to one push event', () => {
  const payload = pushes.find((e) => e.ref === 'refs/heads/master' && e.deleted === false)!;
  const ev = github.normalise(headers('push'), payload, 'd-1');
  assert.equal(ev.kind, 'push');
  if (ev.kind !== 'push') return;
  assert.equal(ev.push.branch, 'master');
  assert.equal(ev.push.tag, undefined);
  assert.equal(ev.push.after, payload.after);
  assert.equal(ev.push.cloneUrl, 'https://github.com/Codertocat/Hello-World.git');
  assert.ok(ev.push.repoUrls.includes('git@github.com:Codertocat/Hello-World.git'));
  assert.equal(ev.push.pusher, 'Codertocat');
  assert.equal(ev.push.deleted, false);
  // a created branch lists commits that do not describe the diff: the runner decides the paths
  assert.equal(ev.push.filesComplete, false);
  assert.equal(github.signature(headers('push')), 'ab'.repeat(32));
  assert.equal(github.deliveryId(headers('push')), 'd-1');
});

void test('tag pushes, deletions, pings and other events', () => {
  const tag = github.normalise(headers('push'), pushes.find((e) => String(e.ref).startsWith('refs/tags/') && e.deleted === false)!, 'd');
  assert.ok(tag.kind === 'push' && tag.push.tag === 'simple-tag' && tag.push.branch === undefined);
  const deleted = github.normalise(headers('push'), pushes.find((e) => e.deleted === true)!, 'd');
  assert.ok(deleted.kind === 'push' && deleted.push.deleted);
  assert.deepEqual(github.normalise(headers('ping'), { zen: 'x' }, 'd'), { kind: 'ping' });
  const issue = github.normalise(headers('issues'), { repository: { clone_url: 'https://github.com/a/b.git' } }, 'd');
  assert.equal(issue.kind, 'ignored');
  assert.equal(github.signature({ 'x-hub-signature': 'sha1=abc' }), undefined);
});

void test('an update push with its commit list decides the path filter from the payload', () => {
  const payload = structuredClone(pushes.find((e) => e.ref === 'refs/heads/master' && e.deleted === false)!);
  Object.assign(payload, { created: false, before: '1'.repeat(40) });
  const ev = github.normalise(headers('push'), payload, 'd');
  assert.ok(ev.kind === 'push' && ev.push.filesComplete);
});

void test('a payload of the wrong shape is a webhook error naming the field', () => {
  assert.throws(() => github.normalise(headers('push'), { ref: 1, repository: {} }, 'd'), (e: unknown) => e instanceof WebhookError && /repository\.clone_url|ref/.test(e.message));
  assert.throws(() => github.normalise(headers('push'), [], 'd'), WebhookError);
});

void test('a GitHub push keeps head_commit\'s message and author', () => {
  const payload = structuredClone(pushes.find((e) => e.ref === 'refs/heads/master' && e.deleted === false)!);
  payload.head_commit = { id: payload.after, message: 'Fix <b>the</b> build\n\nlong body', author: { name: 'Mona Lisa', username: 'octocat' } };
  const ev = github.normalise(headers('push'), payload, 'd');
  assert.ok(ev.kind === 'push');
  assert.deepEqual(ev.push.commit, { message: 'Fix <b>the</b> build\n\nlong body', author: 'Mona Lisa' });
  payload.head_commit = { id: payload.after, message: 'x'.repeat(10_000), author: {} };
  const long = github.normalise(headers('push'), payload, 'd');
  assert.ok(long.kind === 'push');
  assert.deepEqual(long.push.commit, { message: 'x'.repeat(4000) }, 'a message is cut at 4000 characters; no author, none kept');
});
