// SLIPWAY_TIMINGS's timeline: each command at the exec door gets a start and an end line with its
// duration, shown masked with the build's secrets and cut to its first words.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTimings } from '../../../cli/timings.ts';
import { exec } from '../../../runner/exec.ts';

void test('each command is timed, masked and cut short; a failing command still gets its end line', async () => {
  const out: string[] = [];
  const timings = createTimings((t) => out.push(t));
  const door = timings.exec(exec);
  await door(['/bin/sh', '-c', 'sleep 0.05', 'hunter2-secret', 'a', 'b', 'c'], { secrets: ['hunter2-secret'] });
  await assert.rejects(door(['/bin/sh', '-c', 'exit 3']));
  timings.mark('==> deploy');
  assert.equal(out.length, 5, out.join(''));
  assert.match(out[0]!, /^timing +\d+ ms start sh -c sleep 0\.05 \*\*\* a b …\n$/);
  const took = /^timing +\d+ ms end {3}sh -c sleep 0\.05 \*\*\* a b … \((\d+) ms\)\n$/.exec(out[1]!);
  assert.ok(took, out[1]);
  assert.ok(Number(took[1]) >= 40, out[1]);
  assert.match(out[3]!, /^timing +\d+ ms end {3}sh -c exit 3 \(\d+ ms\)\n$/);
  assert.match(out[4]!, /^timing +\d+ ms ==> deploy\n$/);
  assert.ok(!out.join('').includes('hunter2'));
});
