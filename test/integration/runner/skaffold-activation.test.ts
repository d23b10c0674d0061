// kubeContext activation through the runner: the plan of a build is read with the context of the
// kubeconfig the runner deploys with (the test cluster's `slipway-testenv`), so a profile for
// that context activates, one for another context does not, and a negated one for another
// context does.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runnerHarness, type RunnerHarness } from './harness.ts';

let h: RunnerHarness;
before(async () => {
  h = await runnerHarness();
});
after(async () => {
  await h.cleanup();
});

void test("profiles activate by the runner's kube context, as Skaffold matches it", async () => {
  await h.repo.commit(
    {
      'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts: []
profiles:
  - name: testenv
    activation: [{ kubeContext: "slipway-test.*" }]
  - name: production
    activation: [{ kubeContext: "gke_.*_prod" }]
  - name: not-production
    activation: [{ kubeContext: "!gke_.*_prod" }]
  - name: not-testenv
    activation: [{ kubeContext: "!slipway-testenv" }]
`,
    },
    'profiles by kube context',
  );
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  await h.runner([pipeline]);
  const build = await h.waitFinal((await h.enqueue(pipeline)).id, 60_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'succeeded', log);
  assert.match(log, /skaffold\.yaml: 0 artifacts, 0 tests, deploys: none \(profiles testenv, not-production\)/);
});
