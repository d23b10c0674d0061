// A native Dockerfile artifact's `buildah bud` runs in the sandbox's builder mode (runner/stages/
// build.ts runBuild), against the real runner, buildah and registry: a RUN instruction that tries to
// kill a process of the runner's, read a file of the runner's outside the workspace and read the
// runner's environment through /proc finds nothing and kills nothing, while the build still runs
// its RUN step and the image is pushed.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { exec } from '../../../runner/exec.ts';
import { buildahArgv } from '../../helpers/buildah-argv.ts';
import { alive } from '../../helpers/processes.ts';
import { testenv } from '../../helpers/testenv.ts';
import { runnerHarness, type RunnerHarness } from './harness.ts';

const PID = process.pid;
const ENV_CANARY = `dockerfile-run-env-canary-${PID}-e55c`;
const FILE_CANARY = `dockerfile-run-file-canary-${PID}-f66d`;

let h: RunnerHarness;
const stopNeighbour = new AbortController();
let neighbour: Promise<unknown> | undefined;
let pid = 0;

before(async () => {
  h = await runnerHarness();
  // a process of the runner's, holding a secret in its environment
  const pidFile = path.join(h.workdir, 'neighbour.pid');
  neighbour = exec(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 600`], { cleanEnv: true, env: { SLIPWAY_OTHER_PIPELINE_SECRET: ENV_CANARY }, signal: stopNeighbour.signal, killGraceMs: 100 }).catch(() => undefined);
  for (let i = 0; i < 100 && !pid; i++) {
    pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || 0;
    if (!pid) await new Promise((r) => setTimeout(r, 50));
  }
  await writeFile(path.join(h.workdir, 'token'), `${FILE_CANARY}\n`, { mode: 0o600 });
});

after(async () => {
  stopNeighbour.abort();
  await neighbour;
  await h?.cleanup();
});

void test("a Dockerfile's RUN step is sandboxed: it kills no runner process and reads none of the runner's files or environment, and the image still builds and pushes", async () => {
  assert.ok(pid > 0 && alive(pid), 'the neighbour runs');
  const token = path.join(h.workdir, 'token');
  const p = (what: string, found: string) => `if ${found}; then echo LEAK:${what}; else echo OK:${what}; fi`;
  const run = [
    p('kill', `kill -9 ${pid} 2>/dev/null`),
    p('file', `cat ${token} 2>/dev/null`),
    p('kubeconfig', `cat ${testenv().kubeconfig} >/dev/null 2>&1`),
    p('environ', `cat /proc/1/environ /proc/${pid}/environ /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -q dockerfile-run-env`),
    'echo built-by-run > /run.txt',
  ].join('; ');
  const sha = await h.repo.commit({ Dockerfile: `ARG BASE\nFROM \${BASE}\nRUN ${run}\n` }, 'probing Dockerfile');
  const pipeline = h.pipeline({ test: undefined, deploy: undefined });
  await h.runner([pipeline]);
  const build = await h.waitFinal((await h.enqueue(pipeline, { sha })).id, 240_000);
  const log = await h.logs.text(build.id);
  assert.equal(build.status, 'succeeded', log);

  // built with its RUN step and pushed
  assert.match(log, /RUN if kill/);
  const [img] = build.images;
  assert.ok(img, log);
  assert.match(img.digest, /^sha256:[0-9a-f]{64}$/);
  const [host, ...rest] = img.name.split('/');
  const res = await fetch(`http://${host}/v2/${rest.join('/')}/manifests/${img.tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  assert.equal(res.headers.get('docker-content-digest'), img.digest);

  // nothing found, nothing killed
  assert.doesNotMatch(log, /^LEAK:/m, log);
  for (const what of ['kill', 'file', 'kubeconfig', 'environ']) assert.match(log, new RegExp(`^OK:${what}$`, 'm'), `${what} did not run: ${log}`);
  assert.ok(alive(pid), 'the neighbour process was killed');
  assert.ok(!log.includes(FILE_CANARY) && !log.includes(ENV_CANARY), log);

  // at the exec door: unshare, bwrap, then buildah bud; the push stays the runner's own
  const bud = h.calls.find((c) => buildahArgv(c.argv)?.includes('bud'));
  assert.ok(bud, 'buildah bud ran');
  assert.match(bud.argv[0]!, /unshare$/);
  assert.ok(bud.argv.some((a) => /bwrap$/.test(a)), bud.argv.join(' '));
  assert.ok(h.calls.some((c) => c.argv[0] === 'buildah' && c.argv.includes('push')));
});
