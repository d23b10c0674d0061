// A Skaffold custom build command runs sandboxed in the sandbox's builder mode, against the real
// runner, buildah and a registry that requires a login: the script builds an image with a RUN
// step and pushes it with the credentials the runner grants (REGISTRY_AUTH_FILE), so the build
// succeeds with the pushed digest; the same script goes looking for the runner's environment
// (/proc/$PPID/environ, /proc/1/environ, every /proc/*/environ, where a process of the runner's
// holds its secrets), the kubeconfig,
// SLIPWAY_REDIS_URL, another build's workspace and the data folder, and finds none of it; no
// secret (the runner's canaries, the registry password in any form) reaches the build log.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { exec } from '../../../runner/exec.ts';
import { startAuthRegistry, type AuthRegistry } from '../../helpers/auth-registry.ts';
import { testenv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

const PID = process.pid;
const RUNNER_CANARY = `custom-build-runner-canary-${PID}-a11e`;
const REDIS_CANARY = `custom-build-redis-canary-${PID}-b22f`;
const OTHER_CANARY = `custom-build-other-canary-${PID}-c33a`;
const DATA_CANARY = `custom-build-data-canary-${PID}-d44b`;
const USER = 'sandbox-pusher';
const PASSWORD = `Sbx/push+${PID}&pw`;

let h: RunnerHarness;
let registry: AuthRegistry;
const saved: Record<string, string | undefined> = {};
const stopNeighbour = new AbortController();
let neighbour: Promise<unknown> | undefined;
const RUNNER_ENV = ['SLIPWAY_OTHER_PIPELINE_SECRET', 'SLIPWAY_REDIS_URL', 'REGISTRY_AUTH_FILE', 'CONTAINERS_REGISTRIES_CONF'];

before(async () => {
  h = await runnerHarness();
  registry = await startAuthRegistry(USER, PASSWORD);
  for (const k of RUNNER_ENV) saved[k] = process.env[k];
  // what the runner holds: its own secrets and the registry login it grants a custom build
  process.env.SLIPWAY_OTHER_PIPELINE_SECRET = RUNNER_CANARY;
  process.env.SLIPWAY_REDIS_URL = `redis://:${REDIS_CANARY}@127.0.0.1:6390/0`;
  process.env.REGISTRY_AUTH_FILE = registry.authFile;
  process.env.CONTAINERS_REGISTRIES_CONF = registry.registriesConf;
  // another build's workspace and the runner's data folder, next to this build's
  const other = path.join(h.workdir, 'builds', 'other-pipeline-7');
  await mkdir(other, { recursive: true });
  await writeFile(path.join(other, 'secret.txt'), `${OTHER_CANARY}\n`);
  await writeFile(path.join(h.workdir, 'token'), `${DATA_CANARY}\n`, { mode: 0o600 });
  // a process of the runner's holding its secrets in its environment (this test process's own
  // /proc/<pid>/environ is what it started with, without the canaries)
  neighbour = exec(['sleep', '600'], { cleanEnv: true, env: { SLIPWAY_OTHER_PIPELINE_SECRET: RUNNER_CANARY, SLIPWAY_REDIS_URL: process.env.SLIPWAY_REDIS_URL }, signal: stopNeighbour.signal, killGraceMs: 100 }).catch(() => undefined);
});

after(async () => {
  stopNeighbour.abort();
  await neighbour;
  for (const k of RUNNER_ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await h?.cleanup();
  await registry?.stop();
});

/** The runner's variables, as lines of an environment (grep pattern). */
const RUNNER_VARS = ['SLIPWAY_OTHER_PIPELINE_SECRET', 'SLIPWAY_REDIS_URL', 'KUBECONFIG', 'NODE_OPTIONS', 'npm_config_cache'].map((v) => `^${v}=`).join('\\|');

function buildScript(): string {
  const p = (what: string, found: string) => `if ${found}; then echo "LEAK:${what}"; else echo "OK:${what}"; fi`;
  return [
    'set -e',
    'echo "uid=$(id -u) image=$IMAGE push=$PUSH_IMAGE context=$BUILD_CONTEXT skip=$SKIP_TEST"',
    p('ppid-environ', `tr '\\0' '\\n' < /proc/$PPID/environ 2>/dev/null | grep -q "${RUNNER_VARS}"`),
    p('proc1-environ', `tr '\\0' '\\n' < /proc/1/environ 2>/dev/null | grep -q "${RUNNER_VARS}"`),
    p('any-environ', `cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -q 'custom-build-'`),
    p('own-environ', `env | grep -q "${RUNNER_VARS}"`),
    p('redis-url', '[ -n "${SLIPWAY_REDIS_URL:-}" ]'),
    p('kubeconfig', `cat ${testenv().kubeconfig} >/dev/null 2>&1`),
    p('other-workspace', `cat ${path.join(h.workdir, 'builds', 'other-pipeline-7', 'secret.txt')} >/dev/null 2>&1`),
    p('other-workspaces-listed', `ls ${path.join(h.workdir, 'builds')} 2>/dev/null | grep -q other-pipeline`),
    p('data-folder', `cat ${path.join(h.workdir, 'token')} >/dev/null 2>&1`),
    // and printed, in case a probe above is wrong: a leak would put a canary into the log
    `tr '\\0' '\\n' < /proc/$PPID/environ 2>/dev/null | sed 's/^/PPID-ENV:/' || true`,
    `cat ${path.join(h.workdir, 'builds', 'other-pipeline-7', 'secret.txt')} ${path.join(h.workdir, 'token')} 2>&1 || true`,
    // the push credentials are the step's to use; printed, they are masked
    'sed "s/^/AUTH:/" "$REGISTRY_AUTH_FILE"',
    `buildah --storage-driver vfs bud --isolation chroot --build-arg BASE=${testenv().baseImage} -t "$IMAGE" "$BUILD_CONTEXT"`,
    'buildah --storage-driver vfs push "$IMAGE" "docker://$IMAGE"',
    'echo pushed-from-the-sandbox',
    '',
  ].join('\n');
}

void test('a custom build command builds with RUN and pushes with its credentials, sandboxed, and finds nothing of the runner', async () => {
  const image = `${registry.host}/slipway-sandbox-custom/${h.name}`;
  const sha = await h.repo.commit(
    {
      'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - image: ${image}
      context: src
      custom:
        buildCommand: sh build.sh
`,
      'src/build.sh': buildScript(),
      'src/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo built-by-run > /run.txt && id -u > /uid.txt\n',
    },
    'custom build',
  );
  const pipeline = h.pipeline({ build: undefined, test: undefined, deploy: undefined, skaffold: { path: 'skaffold.yaml' } });
  await h.runner([pipeline]);
  const build = await h.waitFinal((await h.enqueue(pipeline, { sha })).id, 240_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'succeeded', log);

  // built with its RUN step and pushed to the registry that wants a login; the digest is the registry's
  assert.match(log, /^uid=0 image=\S+ push=true context=\S+\/src skip=false$/m);
  assert.match(log, /STEP 2\/2: RUN echo built-by-run/);
  assert.match(log, /^pushed-from-the-sandbox$/m);
  const [img] = build.images;
  assert.ok(img, log);
  assert.match(img.digest, /^sha256:[0-9a-f]{64}$/);
  const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
  const manifest = await fetch(`http://${registry.host}/v2/slipway-sandbox-custom/${h.name}/manifests/${img.tag}`, {
    method: 'HEAD',
    headers: { accept, authorization: `Basic ${registry.basic}` },
  });
  assert.equal(manifest.status, 200);
  assert.equal(manifest.headers.get('docker-content-digest'), img.digest);

  // nothing of the runner was found
  assert.doesNotMatch(log, /^LEAK:/m, log);
  for (const what of ['ppid-environ', 'proc1-environ', 'any-environ', 'own-environ', 'redis-url', 'kubeconfig', 'other-workspace', 'other-workspaces-listed', 'data-folder']) {
    assert.match(log, new RegExp(`^OK:${what}$`, 'm'), `${what} did not run: ${log}`);
  }
  assert.match(log, /^PPID-ENV:IMAGE=/m); // the environ read worked: it holds the step's own variables
  assert.match(log, /^AUTH:.*\*\*\*/m);
  const forms = [RUNNER_CANARY, REDIS_CANARY, OTHER_CANARY, DATA_CANARY, PASSWORD, registry.basic, encodeURIComponent(PASSWORD), Buffer.from(PASSWORD).toString('base64')];
  for (const form of forms) assert.ok(!log.includes(form), `${form} in the build log`);

  // at the exec door: unshare, then bwrap, then the command; an environment of the build's and Skaffold's variables only
  const call = h.calls.find((c) => c.argv.at(-1) === 'sh build.sh');
  assert.ok(call, 'the custom build ran');
  assert.match(call.argv[0]!, /unshare$/);
  assert.deepEqual(call.argv.slice(1, 4), ['--user', '--map-users=0,0,65536', '--map-groups=0,0,65536']);
  assert.equal(call.options.cleanEnv, true);
  assert.deepEqual(Object.keys(call.options.env ?? {}).sort(), [
    'BUILDAH_ISOLATION', 'BUILD_CONTEXT', 'BUILD_ID', 'BUILD_NUMBER', 'CONTAINERS_REGISTRIES_CONF', 'CONTAINERS_STORAGE_CONF', 'GIT_BRANCH', 'GIT_COMMIT', 'HOME',
    'IMAGE', 'IMAGE_REPO', 'IMAGE_TAG', 'PATH', 'PLATFORMS', 'PUSH_IMAGE', 'REGISTRY_AUTH_FILE', 'SKIP_TEST',
  ]);
});
