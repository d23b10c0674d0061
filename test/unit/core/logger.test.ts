import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prettyLine } from '../../../core/logger.ts';

void test('prettyLine prints time, level, message and fields on one line', () => {
  const line = prettyLine(JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5), pid: 1, hostname: 'h', name: 'slipway', msg: 'stage failed', build: 'app-3', n: 2 }));
  assert.equal(line, '03:04:05 WARN  stage failed build=app-3 n=2\n');
});

void test('prettyLine passes a line that is not JSON through', () => {
  assert.equal(prettyLine('plain text'), 'plain text\n');
});
