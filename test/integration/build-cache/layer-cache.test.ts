// Builds that do run reuse layers through the registry's cache repository: a one-line change
// does not rebuild the steps before it, on this runner or on a new one with an empty image store.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cacheHarness, type CacheHarness } from './harness.ts';

const DOCKERFILE = [
  'ARG BASE',
  'FROM ${BASE}',
  'RUN echo "expensive base step" && date +%s%N > /base-built-at',
  'COPY message.txt /message.txt',
  'RUN cat /message.txt',
  '',
].join('\n');

let h: CacheHarness;
before(async () => {
  h = await cacheHarness({ 'app/Dockerfile': DOCKERFILE, 'app/message.txt': 'one\n' }, ['app']);
});
after(async () => {
  await h.cleanup();
});

/** The log lines of the build step `RUN echo "expensive base step"...` up to the next step. */
function baseStep(log: string): string {
  const start = log.indexOf('STEP 2/4: RUN echo "expensive base step"');
  assert.ok(start >= 0, log);
  return log.slice(start, log.indexOf('STEP 3/4', start));
}

void test('a one-line change reuses the base layers, also on a runner with an empty image store', async () => {
  const first = await h.run(h.pipeline(), 1, { freshStorage: true });
  assert.equal(first.record.status, 'succeeded', first.log);
  assert.doesNotMatch(baseStep(first.log), /Using cache/);
  assert.match(first.log, /expensive base step/);
  const bud = first.builds[0]!;
  assert.ok(bud.includes('--layers'));
  assert.equal(bud[bud.indexOf('--cache-to') + 1], `${h.image('app')}/cache`);

  await h.repo.commit({ 'app/message.txt': 'two\n' }, 'one line');
  const second = await h.run(h.pipeline(), 2, { freshStorage: true });
  assert.equal(second.record.status, 'succeeded', second.log);
  assert.equal(second.builds.length, 1);
  // the base step came from the registry's cache: not run again
  assert.match(baseStep(second.log), /Cache pulled from remote .*\/app\/cache:/);
  assert.match(baseStep(second.log), /Using cache/);
  assert.notEqual(second.record.images[0]!.digest, first.record.images[0]!.digest);

  // --no-cache builds from scratch: the base step runs again
  await h.repo.commit({ 'app/message.txt': 'three\n' }, 'another line');
  const forced = await h.run(h.pipeline(), 3, { noCache: true, freshStorage: true });
  assert.equal(forced.record.status, 'succeeded', forced.log);
  assert.doesNotMatch(baseStep(forced.log), /Using cache/);
  assert.ok(!forced.builds[0]!.includes('--layers'));
});
