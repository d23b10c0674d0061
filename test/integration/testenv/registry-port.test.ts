// The local registry keeps its port across restarts (on a copy of the scripts in a temporary
// directory, so the shared test environment is left alone): the port asked for
// (SLIPWAY_REGISTRY_PORT, what `slipway up --local-cluster` remembers), else the last one; a new
// port only when that one is taken, with a warning. And `up`'s memory of it in the data folder.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { rememberedRegistryPort, rememberRegistryPort } from '../../../cli/up/local-cluster.ts';
import { exec } from '../../../runner/exec.ts';
import { ROOT } from '../../helpers/testenv.ts';

let root: string;
const scripts = () => path.join(root, 'scripts/testenv');

/** Runs only up.sh's registry start (sourced: main does not run), or stops it; returns the output. */
async function registry(action: 'start' | 'stop', env: Record<string, string> = {}): Promise<string> {
  const body =
    action === 'start'
      ? `source "${scripts()}/up.sh"; mkdir -p "$STATE" "$LOGS"; start_registry; echo "port=$(port_of registry)"`
      : `source "${scripts()}/common.sh"; stop_bg registry`;
  const res = await exec(['bash', '-c', body], { env, timeoutMs: 60_000 });
  return res.stdout + res.stderr;
}
const portOf = (out: string) => Number(/port=(\d+)/.exec(out)?.[1]);

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'slipway-registry-port-'));
  await cp(path.join(ROOT, 'scripts/testenv'), scripts(), { recursive: true });
});
after(async () => {
  await registry('stop').catch(() => '');
  await rm(root, { recursive: true, force: true });
});

void test('a restarted registry comes back on its port; a taken port moves it, with a warning', async () => {
  const first = portOf(await registry('start'));
  assert.ok(first > 0);
  assert.equal((await fetch(`http://127.0.0.1:${first}/v2/`)).status, 200);
  await registry('stop');

  assert.equal(portOf(await registry('start')), first, 'the last port is kept');
  await registry('stop');

  // asked for a port of its own (what up remembers): that one
  const asked = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  assert.equal(portOf(await registry('start', { SLIPWAY_REGISTRY_PORT: String(asked) })), asked);
  await registry('stop');

  // taken: a new port and a warning
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(asked, '127.0.0.1', () => resolve()));
  try {
    const out = await registry('start', { SLIPWAY_REGISTRY_PORT: String(asked) });
    assert.notEqual(portOf(out), asked);
    assert.match(out, new RegExp(`warning: registry port ${asked} is taken`));
    assert.equal((await fetch(`http://127.0.0.1:${portOf(out)}/v2/`)).status, 200);
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

void test("up remembers the registry's port in the data folder and warns when it moved", async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'slipway-data-'));
  try {
    const warnings: string[] = [];
    assert.equal(await rememberedRegistryPort(dataDir), undefined);
    await rememberRegistryPort(dataDir, '127.0.0.1:40001', (m) => warnings.push(m));
    assert.equal(await rememberedRegistryPort(dataDir), 40001);
    await rememberRegistryPort(dataDir, '127.0.0.1:40001', (m) => warnings.push(m));
    assert.equal(warnings.length, 0);
    await rememberRegistryPort(dataDir, '127.0.0.1:40002', (m) => warnings.push(m));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /port 40002, not 40001/);
    assert.equal((await readFile(path.join(dataDir, 'registry.port'), 'utf8')).trim(), '40002');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
