// The deploy's warm-up (runner/stages/deploy.ts warmDeploy) runs while the builds run: helm's
// version is asked once the last artifact has started building. It changes nothing: a build that fails
// after it leaves no namespace, no environment record, no release and no lock, as before; and the
// deploy itself (namespace, record, helm) still waits for the namespace's deploy lock. Real
// Redis, buildah, helm and cluster.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, test } from 'node:test';
import { EnvStore } from '../../../core/env-store.ts';
import type { Pipeline } from '../../../pipelines/schema.ts';
import { readNamespace } from '../../../runner/environments/kube.ts';
import { namespaceLocked, withNamespaceLock } from '../../../runner/lock.ts';
import { testenv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

let h: RunnerHarness;
/** What the one runner of this file knows (each test adds its pipeline). */
const pipelines = new Map<string, Pipeline>();
before(async () => {
  h = await runnerHarness();
  await h.runner((name) => pipelines.get(name));
});
after(async () => {
  await h.cleanup();
});

const isBud = (argv: string[], image: string) => argv.includes('bud') && argv.some((a) => a.startsWith(`${image}:`));
const isHelm = (argv: string[], sub: string) => argv[0] === testenv().helm && argv[1] === sub;

// first in this file: helm's version is asked once per process (cachedHelmMajor)
void test('a build that fails after the warm-up leaves no namespace, record, release or lock', async () => {
  const base = `${h.image}-base`;
  const app = `${h.image}-app`;
  await h.repo.commit(
    {
      'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - image: ${base}
      context: base
      docker: { buildArgs: { BASE: "${testenv().baseImage}" } }
    - image: ${app}
      context: app
      requires: [{ image: ${base}, alias: BASE_IMAGE }]
manifests:
  rawYaml: [k8s/*.yaml]
deploy:
  kubectl: {}
  helm:
    releases:
      - name: app
        chartPath: chart
  statusCheckDeadlineSeconds: 60
`,
      'base/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo base > /base.txt\n',
      'app/Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo the app does not build && false\n',
      'k8s/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: warm }\ndata: { a: b }\n',
    },
    'skaffold whose second artifact fails',
  );
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  pipelines.set(pipeline.metadata.name, pipeline);
  const queued = await h.enqueue(pipeline);
  const build = await h.waitFinal(queued.id, 240_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'failed', log);
  assert.equal(build.stages.find((s) => s.name === 'build')?.status, 'failed', log);
  assert.equal(build.stages.find((s) => s.name === 'deploy')?.status, 'skipped');

  // the warm-up ran once app (the last artifact) had started, one build beside a spare core, and so
  // before app failed (nothing warms up after a failure)
  const argvs = h.calls.map((c) => c.argv);
  assert.ok(argvs.some((a) => isBud(a, app)), 'app was built');
  if (availableParallelism() > 1) assert.ok(argvs.some((a) => isHelm(a, 'version')), `helm version asked: ${argvs.map((a) => a.slice(0, 3).join(' ')).join('; ')}`);

  // and it changed nothing: no helm or kubectl deploy, no namespace, no record, no lock
  assert.deepEqual(argvs.filter((a) => isHelm(a, 'upgrade') || a.includes('apply')), []);
  assert.equal(await readNamespace(h.kube, h.namespace), undefined);
  assert.equal(await new EnvStore(h.redis, h.keys).get(pipeline.metadata.name, 'main'), undefined);
  assert.equal(await namespaceLocked(h.redis, h.keys, h.namespace), false);
  assert.equal(build.environment, undefined);
});

void test('the deploy still waits for the deploy lock: nothing is prepared in the namespace until it is free', async () => {
  const pipeline = h.pipeline({ metadata: { name: `${h.name}-locked` }, test: undefined });
  pipelines.set(pipeline.metadata.name, pipeline);
  let queued: Awaited<ReturnType<RunnerHarness['enqueue']>> | undefined;
  await withNamespaceLock(h.redis, h.keys, h.namespace, async () => {
    queued = await h.enqueue(pipeline);
    await h.waitLog(queued.id, new RegExp(`waiting for the deploy lock of namespace ${h.namespace}`), 240_000);
    const built = await h.store.require(queued.id);
    assert.equal(built.stages.find((s) => s.name === 'build')?.status, 'succeeded');
    // built and waiting: the namespace, its record and the release are all still to come
    assert.equal(await readNamespace(h.kube, h.namespace), undefined);
    assert.equal(await new EnvStore(h.redis, h.keys).get(pipeline.metadata.name, 'main'), undefined);
    assert.deepEqual(h.calls.filter((c) => isHelm(c.argv, 'upgrade')), []);
  });
  const build = await h.waitFinal(queued!.id, 240_000);
  assert.equal(build.status, 'succeeded', await h.logs.text(build.id));
  assert.ok(await readNamespace(h.kube, h.namespace), 'namespace created once the lock was free');
  assert.equal((await new EnvStore(h.redis, h.keys).get(pipeline.metadata.name, 'main'))?.lastBuild, build.id);
  assert.equal(h.calls.filter((c) => isHelm(c.argv, 'upgrade')).length, 1);
});
