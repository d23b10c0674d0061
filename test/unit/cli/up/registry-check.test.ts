import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { registriesOf, unreachableRegistries } from '../../../../cli/up/registry-check.ts';
import type { LoadedPipeline } from '../../../../pipelines/schema.ts';

const withImages = (...images: string[]) =>
  ({ file: 'p.yaml', pipeline: { build: { artifacts: images.map((image) => ({ image })) } } }) as unknown as LoadedPipeline;

void test('registriesOf names each registry host once, not Docker Hub short names', () => {
  assert.deepEqual(registriesOf([withImages('127.0.0.1:5000/a/b', 'registry.example.com/x', 'team/app'), withImages('127.0.0.1:5000/c')]), [
    '127.0.0.1:5000',
    'registry.example.com',
  ]);
});

void test('unreachableRegistries: an answering registry (200 or 401) is fine, a closed port is reported', async () => {
  const server = createServer((_req, res) => res.writeHead(401).end()).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const up = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    assert.deepEqual(await unreachableRegistries([up, '127.0.0.1:1']), ['127.0.0.1:1']);
  } finally {
    server.close();
  }
});
