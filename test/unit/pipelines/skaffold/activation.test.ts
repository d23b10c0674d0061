// Profile activation by kubeContext (and the RegexEqual it shares with env and command): the
// runner's context matched as Skaffold matches it, and no context (in-cluster) matching nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activationMatches, autoActivated, satisfies } from '../../../../pipelines/skaffold/profiles.ts';
import { SkaffoldConfig } from '../../../../pipelines/skaffold/schema.ts';
import { currentKubeContext } from '../../../../runner/kube-context.ts';

const ctx = (kubeContext: string | undefined) => ({ env: {}, kubeContext, command: 'run' });

void test("Skaffold's RegexEqual: equal, unanchored regexp, one leading ! negates, an invalid regexp only itself", () => {
  assert.equal(satisfies('kind-dev', 'kind-dev'), true);
  assert.equal(satisfies('kind-dev', 'kind-prod'), false);
  assert.equal(satisfies('gke_.*_prod', 'gke_acme_europe-west1_prod'), true);
  assert.equal(satisfies('dev', 'kind-dev-2'), true, 'unanchored, as Go MatchString');
  assert.equal(satisfies('^dev$', 'kind-dev'), false);
  assert.equal(satisfies('!prod', 'kind-dev'), true);
  assert.equal(satisfies('!prod', 'gke-prod'), false);
  assert.equal(satisfies('!!prod', 'prod'), true, 'only one ! is a negation: !prod is then matched as a regexp');
  assert.equal(satisfies('[unclosed', '[unclosed'), true);
  assert.equal(satisfies('[unclosed', 'other'), false);
});

void test('kubeContext activation: matched against the runner context; without one nothing matches, negated or not', () => {
  assert.equal(activationMatches({ kubeContext: 'slipway-testenv' }, ctx('slipway-testenv')), true);
  assert.equal(activationMatches({ kubeContext: 'minikube' }, ctx('slipway-testenv')), false);
  assert.equal(activationMatches({ kubeContext: '!minikube' }, ctx('slipway-testenv')), true);
  // these used to match the empty context the runner passed
  assert.equal(activationMatches({ kubeContext: '.*' }, ctx(undefined)), false);
  assert.equal(activationMatches({ kubeContext: '!prod' }, ctx(undefined)), false);
  assert.equal(activationMatches({ kubeContext: '^$' }, ctx(undefined)), false);
  // an activation without kubeContext does not care
  assert.equal(activationMatches({ command: 'run' }, ctx(undefined)), true);
  // all conditions of one activation must hold
  assert.equal(activationMatches({ kubeContext: 'slipway-.*', env: 'STAGE=prod' }, { env: { STAGE: 'dev' }, kubeContext: 'slipway-testenv', command: 'run' }), false);

  const config = SkaffoldConfig.parse({
    apiVersion: 'skaffold/v4beta14',
    kind: 'Config',
    profiles: [
      { name: 'here', activation: [{ kubeContext: 'slipway-testenv' }] },
      { name: 'prod', activation: [{ kubeContext: 'gke_.*_prod' }] },
      { name: 'not-prod', activation: [{ kubeContext: '!gke_.*_prod' }] },
      { name: 'both', requiresAllActivations: true, activation: [{ kubeContext: 'slipway-.*' }, { env: 'STAGE=qa' }] },
    ],
  });
  assert.deepEqual(autoActivated(config, ctx('slipway-testenv')), ['here', 'not-prod']);
  assert.deepEqual(autoActivated(config, ctx('gke_acme_us_prod')), ['prod']);
  assert.deepEqual(autoActivated(config, { env: { STAGE: 'qa' }, kubeContext: 'slipway-testenv', command: 'run' }), ['here', 'not-prod', 'both']);
  assert.deepEqual(autoActivated(config, ctx(undefined)), []);
});

void test("the runner's kube context: current-context of the first KUBECONFIG file that sets one, else ~/.kube/config, else none", async () => {
  const files: Record<string, string> = {
    '/k/empty': 'apiVersion: v1\nkind: Config\nclusters: []\n',
    '/k/a': 'apiVersion: v1\nkind: Config\ncurrent-context: ctx-a\n',
    '/k/b': 'apiVersion: v1\nkind: Config\ncurrent-context: ctx-b\n',
    '/home/u/.kube/config': 'current-context: home-ctx\n',
    '/k/broken': 'current-context: [\n',
  };
  const readFile = (f: string) => (f in files ? Promise.resolve(files[f]!) : Promise.reject(Object.assign(new Error('ENOENT'), { code: 'ENOENT' })));
  assert.equal(await currentKubeContext({ kubeconfig: '/k/missing:/k/empty:/k/broken:/k/a:/k/b', home: '/home/u', readFile }), 'ctx-a');
  assert.equal(await currentKubeContext({ home: '/home/u', readFile }), 'home-ctx');
  assert.equal(await currentKubeContext({ kubeconfig: '/k/empty', home: '/home/u', readFile }), undefined, 'KUBECONFIG set: ~/.kube/config is not read');
  assert.equal(await currentKubeContext({ home: '/nobody', readFile }), undefined, 'in a pod without a kubeconfig');
});
