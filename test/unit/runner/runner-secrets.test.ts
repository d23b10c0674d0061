import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createMasker, MASK } from '../../../runner/mask.ts';
import { runnerSecrets } from '../../../runner/runner-secrets.ts';

const KEY_PEM = ['-----BEGIN EC PRIVATE KEY-----', 'MHcCAQEEIBkq1bN7lX1m0m3cJ8uD6WbXhQ0o0f7y5S2s9x0Jr1mOoAoGCCqGSM49', 'AwEHoUQDQgAEs5Jt0mN4vFJcQ1uS0Q2QeX3V3d8E5kq8yq3QO1M2Cj7v0oQ6w9n8', '-----END EC PRIVATE KEY-----', ''].join('\n');

void test("the runner's registry logins, kubeconfig credentials and Redis password are found and masked", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'runner-secrets-'));
  try {
    const auth = path.join(dir, 'auth.json');
    await writeFile(auth, JSON.stringify({ auths: { '127.0.0.1:5000': { auth: Buffer.from('pusher:reg-Pa55word!').toString('base64') }, 'quay.io': { identitytoken: 'idtok-123456789' } } }));
    const docker = path.join(dir, 'docker');
    await writeFile(path.join(dir, 'kube-token'), 'file-token-abcdef\n');
    await writeFile(path.join(dir, 'docker-config.json'), '{}');
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'users:',
        '  - name: a',
        '    user: { token: sa-token-0123456789 }',
        '  - name: b',
        `    user: { client-certificate-data: Y2VydA==, client-key-data: ${Buffer.from(KEY_PEM).toString('base64')} }`,
        '  - name: c',
        '    user: { tokenFile: kube-token }',
        '  - name: d',
        '    user: { username: admin, password: basic-pw-9876 }',
        '  - name: e',
        '    user: { auth-provider: { name: oidc, config: { id-token: oidc-id-token-xyz, refresh-token: oidc-refresh-abc } } }',
      ].join('\n'),
    );
    const secrets = await runnerSecrets({ HOME: dir, REGISTRY_AUTH_FILE: auth, DOCKER_CONFIG: docker, KUBECONFIG: kubeconfig, SLIPWAY_REDIS_URL: 'redis://:redis-pw-4242@127.0.0.1:6379' }, ['the-api-token', undefined]);
    const mask = createMasker(secrets);
    const printed = [
      'reg-Pa55word!',
      Buffer.from('pusher:reg-Pa55word!').toString('base64'),
      'idtok-123456789',
      'sa-token-0123456789',
      Buffer.from(KEY_PEM).toString('base64'),
      KEY_PEM.split('\n')[1]!,
      'file-token-abcdef',
      'basic-pw-9876',
      'oidc-id-token-xyz',
      'oidc-refresh-abc',
      'redis-pw-4242',
      'the-api-token',
    ];
    for (const p of printed) assert.equal(mask(`x ${p} y`), `x ${MASK} y`, p);
    assert.equal(mask('client-certificate-data Y2VydA== admin'), 'client-certificate-data Y2VydA== admin'); // not secrets
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
