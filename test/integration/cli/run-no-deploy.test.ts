// `slipway run --no-deploy`: built and tested, never deployed, whatever the plan says: a native
// pipeline whose branch profile adds a helm release, and a skaffold pipeline whose file deploys
// with kubectl (as `skaffold build` + `skaffold test`, and without SLIPWAY_REDIS_URL). What ran
// at the exec door is read from SLIPWAY_TIMINGS' timeline (every command through the door).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { main } from '../../../cli/main.ts';
import { deleteNamespace, kubeClients, listSlipwayNamespaces, PIPELINE_LABEL, readNamespace, type KubeClients } from '../../../runner/environments/kube.ts';
import { cliWorkspace, type CliWorkspace } from '../../helpers/cli-workspace.ts';
import { runnerAppPipeline } from '../../helpers/runner-app-pipeline.ts';
import { testenv, testRedis, uniqueName, type TestRedis } from '../../helpers/testenv.ts';
import { useTestenvProcessEnv } from '../runner/harness.ts';

const native = uniqueName('nodeploy');
const skaffold = uniqueName('nodeploy-sk');
let w: CliWorkspace;
let kube: KubeClients;
let redis: TestRedis;

before(async () => {
  useTestenvProcessEnv();
  const kc = new KubeConfig();
  kc.loadFromFile(testenv().kubeconfig);
  kube = kubeClients(kc);
  redis = await testRedis();
  // every command through the exec door on the timeline (stderr)
  w = await cliWorkspace('run-no-deploy', { SLIPWAY_TIMINGS: '1' });
  // no deploy of its own: the profile of feature/* branches adds a helm release
  await w.pipeline(
    native,
    runnerAppPipeline({
      name: native,
      repoUrl: w.repo.url,
      imagePath: `slipway-run-test/${native}`,
      releases: [],
      extra: [
        `environment: { namespace: ${native} }`,
        'profiles:',
        '  - name: preview',
        '    activation: [{ branch: "feature/*" }]',
        '    deploy: { helm: { releases: [{ name: app, chartPath: chart }] } }',
      ],
    }),
  );
  await w.pipeline(
    skaffold,
    [
      'apiVersion: slipway/v1',
      'kind: Pipeline',
      `metadata: { name: ${skaffold} }`,
      `source: { repo: "${w.repo.url}", allowLocal: true }`,
      'skaffold: { path: skaffold.yaml }',
      `environment: { namespace: ${skaffold} }`,
      '',
    ].join('\n'),
  );
});
after(async () => {
  for (const ns of [native, skaffold]) await deleteNamespace(kube, ns).catch(() => undefined);
  await redis.cleanup();
  await w.cleanup();
});

/**
 * A skaffold.yaml building one Dockerfile artifact, `image`, tagged nd<build number>, from the
 * testenv's base image; `rest`: its sections after the build (tests, manifests, deploy).
 */
function skaffoldFile(image: string, rest: string): string {
  return `apiVersion: skaffold/v4beta14
kind: Config
build:
  tagPolicy: { envTemplate: { template: "nd{{.BUILD_NUMBER}}" } }
  artifacts:
    - image: ${image}
      context: .
      docker:
        buildArgs: { BASE: ${testenv().baseImage} }
${rest}`;
}

/** The programs started at the exec door, from the timeline (`timing <ms> ms start <program> <args…>`). */
function programs(stderr: string): string[] {
  return [...stderr.matchAll(/^timing +\d+ ms start (\S+)/gm)].map((m) => m[1]!);
}

/** The references `slipway run` printed, each answered by the registry (pushed). */
async function pushedImages(stdout: string): Promise<string[]> {
  const refs = [...stdout.matchAll(/^image (\S+)$/gm)].map((m) => m[1]!);
  for (const ref of refs) {
    const [host, ...rest] = ref.split('@')[0]!.split('/');
    const [repoPath, tag] = rest.join('/').split(':');
    const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
    const res = await fetch(`http://${host}/v2/${repoPath}/manifests/${tag}`, { method: 'HEAD', headers: { accept } });
    assert.equal(res.status, 200, `${ref} is not in the registry`);
    assert.equal(res.headers.get('docker-content-digest'), ref.split('@')[1], ref);
  }
  return refs;
}

async function assertNoEnvironment(pipeline: string): Promise<void> {
  assert.equal(await readNamespace(kube, pipeline), undefined, `namespace ${pipeline} was created`);
  assert.deepEqual(await listSlipwayNamespaces(kube, `${PIPELINE_LABEL}=${pipeline}`), []);
}

void test('--no-deploy on a branch whose profile adds a helm release: built, pushed and tested, the deploy skipped, no helm', async () => {
  // Redis is there: the run could deploy, and does not because it is asked not to
  const c = w.cli({ SLIPWAY_REDIS_URL: testenv().redisUrl, SLIPWAY_KEY_PREFIX: redis.prefix });
  const code = await main(['run', native, '--branch', 'feature/login', '--sha', await w.repo.head(), '--no-deploy'], c.ctx);
  assert.equal(code, 0, c.out() + c.err());
  assert.match(c.out(), new RegExp(`build ${native}-1 of ${native} \\(profile preview\\)`));
  assert.match(c.out(), /==> build[\s\S]*==> test[\s\S]*unit tests ran/);
  assert.match(c.out(), /deploy skipped: this run does not deploy \(the plan's helm\)/);
  assert.doesNotMatch(c.out(), /==> deploy/);
  assert.match(c.out(), /build succeeded\n/);
  assert.deepEqual(await pushedImages(c.out()), [c.out().match(new RegExp(`${testenv().registry}/slipway-run-test/${native}:1@sha256:[0-9a-f]{64}`))?.[0]]);

  const ran = programs(c.err());
  assert.ok(ran.includes('buildah'), `the timeline shows the exec door: ${ran.join(' ')}`);
  assert.deepEqual(ran.filter((p) => p === 'helm' || p === 'kubectl'), []);
  assert.doesNotMatch(c.err(), /environment (prepare|recordDeploy)|loading the environment manager/);
  await assertNoEnvironment(native);
});

void test('--no-deploy on a skaffold pipeline: its artifacts built and tested, its kubectl deploy skipped, no Redis needed', async () => {
  const registry = testenv().registry;
  const image = `${registry}/slipway-run-test/${skaffold}`;
  const sha = await w.repo.commit(
    {
      'skaffold.yaml': skaffoldFile(
        image,
        `test:
  - image: ${image}
    custom:
      - command: 'echo "testing $IMAGE"'
manifests:
  rawYaml: [k8s/*.yaml]
deploy:
  kubectl: {}
`,
      ),
      'k8s/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app }\ndata: { greeting: hello }\n',
    },
    'skaffold',
  );
  const c = w.cli();
  const code = await main(['run', skaffold, '--sha', sha, '--no-deploy'], c.ctx);
  assert.equal(code, 0, c.out() + c.err());
  assert.match(c.out(), /skaffold\.yaml: 1 artifacts, 1 tests, deploys: kubectl/);
  const [ref] = await pushedImages(c.out());
  assert.match(ref ?? '', new RegExp(`^${image}:nd1@sha256:[0-9a-f]{64}$`));
  assert.ok(c.out().includes(`testing ${ref}`), c.out());
  assert.match(c.out(), /deploy skipped: this run does not deploy \(the plan's kubectl\)/);
  assert.doesNotMatch(c.out(), /==> deploy/);
  assert.match(c.out(), /build succeeded\n/);

  const ran = programs(c.err());
  assert.ok(ran.includes('buildah'), `the timeline shows the exec door: ${ran.join(' ')}`);
  assert.deepEqual(ran.filter((p) => p === 'helm' || p === 'kubectl'), []);
  await assertNoEnvironment(skaffold);
});

void test('--no-deploy on a skaffold file whose deployer this runner cannot run: built and tested all the same', async () => {
  const image = `${testenv().registry}/slipway-run-test/${skaffold}-docker`;
  const sha = await w.repo.commit({ 'skaffold.yaml': skaffoldFile(image, `deploy:\n  docker:\n    images: [${image}]\n`) }, 'skaffold with the docker deployer');
  const c = w.cli();
  assert.equal(await main(['run', skaffold, '--sha', sha, '--no-deploy'], c.ctx), 0, c.out() + c.err());
  assert.match((await pushedImages(c.out()))[0] ?? '', new RegExp(`^${image}:nd\\d+@sha256:`));
  assert.match(c.out(), /deploy skipped: this run does not deploy \(the plan's docker\)/);
  // the loader still warns of it (a run that deploys fails on it); this one is not refused
  assert.doesNotMatch(c.out(), /does not support \(nothing was built\)/);
  assert.match(c.out(), /build succeeded\n/);
});
