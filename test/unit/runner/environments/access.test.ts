// SLIPWAY_RUNNER_SERVICE_ACCOUNT / SLIPWAY_ENVIRONMENT_CLUSTER_ROLE: parsed, or a clear ConfigError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../../core/errors.ts';
import { runnerAccess } from '../../../../runner/environments/access.ts';

void test('unset means no RoleBinding; namespace/name with the default ClusterRole or the one given', () => {
  assert.equal(runnerAccess({}), undefined);
  assert.equal(runnerAccess({ SLIPWAY_RUNNER_SERVICE_ACCOUNT: '' }), undefined);
  assert.deepEqual(runnerAccess({ SLIPWAY_RUNNER_SERVICE_ACCOUNT: 'slipway/slipway-runner' }), {
    serviceAccount: { namespace: 'slipway', name: 'slipway-runner' },
    clusterRole: 'slipway-environment',
  });
  assert.equal(runnerAccess({ SLIPWAY_RUNNER_SERVICE_ACCOUNT: 'ci/runner', SLIPWAY_ENVIRONMENT_CLUSTER_ROLE: 'team-env' })?.clusterRole, 'team-env');
});

void test('a value that is not <namespace>/<name> is a ConfigError naming the variable', () => {
  for (const bad of ['runner', 'a/b/c', '/runner', 'ns/', 'NS/runner', 'ns/Runner']) {
    assert.throws(() => runnerAccess({ SLIPWAY_RUNNER_SERVICE_ACCOUNT: bad }), (err: unknown) => err instanceof ConfigError && /SLIPWAY_RUNNER_SERVICE_ACCOUNT/.test(err.message), bad);
  }
  assert.throws(() => runnerAccess({ SLIPWAY_RUNNER_SERVICE_ACCOUNT: 'ns/r', SLIPWAY_ENVIRONMENT_CLUSTER_ROLE: 'Bad Role' }), /SLIPWAY_ENVIRONMENT_CLUSTER_ROLE/);
});
