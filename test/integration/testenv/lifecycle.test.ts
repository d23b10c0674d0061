// up.sh and down.sh themselves, on a copy of the scripts in a temporary directory (so the shared
// test environment is left alone): a second up.sh keeps what runs, down.sh leaves no process.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { exec } from '../../../runner/exec.ts';
import { ROOT } from '../../helpers/testenv.ts';

let root: string;
const state = () => path.join(root, '.slipway/testenv');
const script = (name: string) => path.join(root, 'scripts/testenv', name);

async function pids(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const f of await readdir(state())) {
    if (f.endsWith('.pid')) out[f.slice(0, -4)] = Number((await readFile(path.join(state(), f), 'utf8')).split('\n')[0]);
  }
  return out;
}

/** Running and not a zombie (a stopped daemon stays a zombie until init reaps it). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'slipway-testenv-lifecycle-'));
  await cp(path.join(ROOT, 'scripts/testenv'), path.join(root, 'scripts/testenv'), { recursive: true });
});
after(async () => {
  await exec(['bash', script('down.sh'), '--purge'], { allowFailure: true, timeoutMs: 120_000 });
  await rm(root, { recursive: true, force: true });
});

void test('up.sh starts everything, a second run keeps it, down.sh stops every process', async () => {
  await exec(['bash', script('up.sh')], { timeoutMs: 600_000 });
  const env = await readFile(path.join(root, '.slipway/testenv.env'), 'utf8');
  for (const key of ['SLIPWAY_TEST_REDIS_URL', 'SLIPWAY_TEST_REGISTRY', 'SLIPWAY_TEST_BASE_IMAGE', 'KUBECONFIG', 'SLIPWAY_TEST_HELM', 'PATH']) {
    assert.match(env, new RegExp(`^${key}=.+$`, 'm'));
  }
  assert.match(env, new RegExp(`^KUBECONFIG=${root}/.slipway/testenv/kubeconfig$`, 'm'));
  const first = await pids();
  assert.deepEqual(Object.keys(first).sort(), ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'redis', 'registry']);
  for (const pid of Object.values(first)) assert.ok(await alive(pid));

  await exec(['bash', script('up.sh')], { timeoutMs: 600_000 });
  assert.deepEqual(await pids(), first, 'the second run restarted nothing');

  await exec(['bash', script('down.sh')], { timeoutMs: 120_000 });
  for (const [name, pid] of Object.entries(first)) assert.equal(await alive(pid), false, `${name} (${pid}) still runs`);
  assert.deepEqual(await pids(), {});
  await assert.rejects(readFile(path.join(root, '.slipway/testenv.env')), { code: 'ENOENT' });
});
