import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { PlannedDelivery } from '../../../core/accept-delivery.ts';
import { silentLogger } from '../../../core/logger.ts';
import { createSpool } from '../../../core/spool.ts';

const delivery = (id: string): PlannedDelivery => ({ forge: 'gitea', deliveryId: id, builds: [], teardowns: [{ pipeline: 'app', branch: 'b', reason: 'branch b deleted' }] });

void test('spooled deliveries wait for Redis, are replayed in order once each, and the file empties', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spool-unit-'));
  const file = path.join(dir, 'work', 'webhook-spool.jsonl');
  let up = false;
  const replayed: string[] = [];
  const spool = createSpool({ file, log: silentLogger(), retryMs: 20, ready: async () => up, replay: async (d) => void replayed.push(d.deliveryId) });
  try {
    await spool.add(delivery('d-1'));
    await spool.add(delivery('d-2'));
    assert.equal(spool.pending(), 2);
    assert.deepEqual((await readFile(file, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { delivery: PlannedDelivery }).delivery.deliveryId), ['d-1', 'd-2']);
    await new Promise<void>((r) => setTimeout(r, 100));
    assert.deepEqual(replayed, [], 'nothing is replayed while Redis does not answer');
    up = true;
    await spool.drained();
    assert.deepEqual(replayed, ['d-1', 'd-2']);
    assert.equal(await readFile(file, 'utf8'), '');
  } finally {
    await spool.close();
    await rm(dir, { recursive: true, force: true });
  }
});

void test('a spool left by a stopped server is replayed at start; a replay that fails is tried again; a torn line is skipped', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'spool-unit-'));
  const file = path.join(dir, 'webhook-spool.jsonl');
  await appendFile(file, `${JSON.stringify({ id: 'a', delivery: delivery('d-a') })}\n${JSON.stringify({ id: 'b', delivery: delivery('d-b') })}\n${JSON.stringify({ done: 'a' })}\n{"id":"c","deli`);
  const replayed: string[] = [];
  let failures = 1;
  const spool = createSpool({
    file,
    log: silentLogger(),
    retryMs: 20,
    ready: async () => true,
    replay: async (d) => {
      if (failures-- > 0) throw new Error('redis went away again');
      replayed.push(d.deliveryId);
    },
  });
  try {
    await spool.drained();
    assert.deepEqual(replayed, ['d-b'], 'd-a was done before, the torn line is no delivery');
    assert.equal(spool.pending(), 0);
  } finally {
    await spool.close();
    await rm(dir, { recursive: true, force: true });
  }
});
