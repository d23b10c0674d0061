// MessagePack encodings of JSON values, byte for byte as the MessagePack spec gives them (and as
// BullMQ's packer writes the job options Slipway passes to its script).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packJson, packMapHeader } from '../../../core/msgpack.ts';

const hex = (b: Buffer) => b.toString('hex');

void test('integers take the smallest form; other numbers are float64', () => {
  assert.equal(hex(packJson(0)), '00');
  assert.equal(hex(packJson(127)), '7f');
  assert.equal(hex(packJson(-1)), 'ff');
  assert.equal(hex(packJson(-32)), 'e0');
  assert.equal(hex(packJson(200)), 'ccc8');
  assert.equal(hex(packJson(1000)), 'cd03e8');
  assert.equal(hex(packJson(70000)), 'ce00011170');
  assert.equal(hex(packJson(-1000)), 'd2fffffc18');
  assert.equal(hex(packJson(1.5)), 'cb3ff8000000000000');
  assert.equal(hex(packJson(1795380114099)), `cb${Buffer.from(new Float64Array([1795380114099]).buffer).reverse().toString('hex')}`);
});

void test('strings by UTF-8 length, nil, booleans, arrays and maps', () => {
  assert.equal(hex(packJson('jobId')), 'a56a6f624964');
  assert.equal(hex(packJson('é')), 'a2c3a9');
  assert.equal(hex(packJson('x'.repeat(40))).slice(0, 4), 'd928');
  assert.equal(hex(packJson('x'.repeat(300))).slice(0, 6), 'da012c');
  assert.equal(hex(packJson(null)), 'c0');
  assert.equal(hex(packJson(undefined)), 'c0');
  assert.equal(hex(packJson([true, false])), '92c3c2');
  assert.equal(hex(packJson({ attempts: 1 })), '81a8617474656d70747301');
  assert.equal(hex(packJson({ backoff: { type: 'fixed', delay: 5 } })), '81a76261636b6f666682a474797065a56669786564a564656c617905');
  assert.equal(hex(packMapHeader(3)), '83');
  assert.equal(hex(packMapHeader(20)), 'de0014');
  assert.throws(() => packJson(() => 1), /cannot pack a function/);
});
