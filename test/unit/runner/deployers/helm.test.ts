import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repairRelease, upgradeArgv } from '../../../../runner/deployers/helm.ts';
import type { ExecOptions, ExecResult } from '../../../../runner/exec.ts';

const base = {
  helm: 'helm',
  release: 'web',
  chart: '/w/chart',
  namespace: 'app-main',
  timeout: '5m',
  atomic: true,
  valuesFiles: ['/w/values.yaml'],
  setValues: { 'image.tag': '7' },
};

void test('helm 3 says --atomic, helm 4 --rollback-on-failure', () => {
  assert.deepEqual(upgradeArgv({ ...base, major: 3 }), [
    'helm', 'upgrade', '--install', 'web', '/w/chart', '--namespace', 'app-main', '--create-namespace', '--atomic',
    '--wait', '--timeout', '5m', '--values', '/w/values.yaml', '--set-string', 'image.tag=7',
  ]);
  assert.ok(upgradeArgv({ ...base, major: 4 }).includes('--rollback-on-failure'));
  assert.ok(!upgradeArgv({ ...base, major: 4 }).includes('--atomic'));
});

function fakeRun(replies: Record<string, ExecResult>, calls: string[][]) {
  return async (argv: string[], _o?: ExecOptions): Promise<ExecResult> => {
    calls.push(argv);
    return replies[argv[1]!] ?? { exitCode: 0, stdout: '', stderr: '' };
  };
}

void test('a pending-upgrade release is rolled back to its last deployed revision', async () => {
  const calls: string[][] = [];
  const run = fakeRun(
    {
      status: { exitCode: 0, stdout: JSON.stringify({ info: { status: 'pending-upgrade' } }), stderr: '' },
      history: { exitCode: 0, stdout: JSON.stringify([{ revision: 1, status: 'superseded' }, { revision: 2, status: 'deployed' }, { revision: 3, status: 'pending-upgrade' }]), stderr: '' },
    },
    calls,
  );
  assert.match((await repairRelease(run, 'helm', 'web', 'ns', '5m'))!, /rolled back to revision 2/);
  assert.deepEqual(calls.at(-1), ['helm', 'rollback', 'web', '2', '--namespace', 'ns', '--wait', '--timeout', '5m']);
});

void test('a pending-install release that never deployed is uninstalled; a healthy one is left alone', async () => {
  const calls: string[][] = [];
  const run = fakeRun(
    {
      status: { exitCode: 0, stdout: JSON.stringify({ info: { status: 'pending-install' } }), stderr: '' },
      history: { exitCode: 0, stdout: JSON.stringify([{ revision: 1, status: 'pending-install' }]), stderr: '' },
    },
    calls,
  );
  assert.match((await repairRelease(run, 'helm', 'web', 'ns', '5m'))!, /uninstalled/);
  assert.deepEqual(calls.at(-1)!.slice(0, 3), ['helm', 'uninstall', 'web']);
  const ok = fakeRun({ status: { exitCode: 0, stdout: JSON.stringify({ info: { status: 'deployed' } }), stderr: '' } }, []);
  assert.equal(await repairRelease(ok, 'helm', 'web', 'ns', '5m'), undefined);
  const missing = fakeRun({ status: { exitCode: 1, stdout: '', stderr: 'release: not found' } }, []);
  assert.equal(await repairRelease(missing, 'helm', 'web', 'ns', '5m'), undefined);
});
