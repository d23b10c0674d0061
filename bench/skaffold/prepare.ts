// Prepares the skaffold-pipeline comparison: a repository with a skaffold.yaml of three
// artifacts (api requires base; base and web independent), rawYaml applied by kubectl and a
// helm release, a pipeline file for `slipway run`, and an env file for both sides. Prints the two
// commands to time side by side with bench/runner/overhead.ts: Slipway (`slipway run skaffold`,
// bundled) and bench/skaffold/plain.sh doing the same git, buildah, kubectl and helm commands.
// Needs the testenv.  node --import tsx bench/skaffold/prepare.ts
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exec } from '../../runner/exec.ts';
import { ROOT, testenv } from '../../test/helpers/testenv.ts';

const t = testenv();
const dir = await mkdtemp(path.join(tmpdir(), 'slipway-bench-skaffold-'));
const repo = path.join(dir, 'repo');
// tags are immutable and build numbers start at 1 for every fresh data folder: each prepared
// fixture pushes under an image repository (and Redis key prefix) of its own
const run = `${Date.now()}`;
const image = (n: string) => `${t.registry}/slipway-bench-${run}/skaffold-${n}`;
const deployment = (name: string, img: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: ${name}, image: "${img}" }]
`;
const files: Record<string, string> = {
  'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
build:
  tagPolicy: { envTemplate: { template: "{{.BUILD_NUMBER}}" } }
  local: { concurrency: 0 }
  artifacts:
    - image: ${image('base')}
      context: base
      docker: { buildArgs: { BASE: "${t.baseImage}" } }
    - image: ${image('api')}
      context: api
      requires: [{ image: ${image('base')}, alias: BASE_IMAGE }]
    - image: ${image('web')}
      context: web
      docker: { buildArgs: { BASE: "${t.baseImage}" } }
manifests:
  rawYaml: [k8s/*.yaml]
deploy:
  kubectl: {}
  helm:
    releases:
      - name: web
        chartPath: chart
  statusCheckDeadlineSeconds: 60
`,
  'base/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo base > /base.txt\n',
  'api/Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo api > /api.txt\n',
  'web/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo web > /web.txt\n',
  'k8s/api.yaml': deployment('api', `${image('api')}:latest`),
  'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'chart/templates/deployment.yaml': deployment('web', `${image('web')}:latest`),
};
for (const [f, text] of Object.entries(files)) {
  await mkdir(path.dirname(path.join(repo, f)), { recursive: true });
  await writeFile(path.join(repo, f), text);
}
const git = (...args: string[]) =>
  exec(['git', '-C', repo, ...args], { env: { GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
await git('init', '-q', '-b', 'main');
await git('add', '-A');
await git('commit', '-q', '-m', 'app');

const namespace = 'slipway-bench-skaffold';
await mkdir(path.join(dir, 'pipelines'));
await writeFile(
  path.join(dir, 'pipelines', 'skaffold.yaml'),
  `apiVersion: slipway/v1
kind: Pipeline
metadata: { name: skaffold }
source: { repo: "file://${repo}", allowLocal: true }
skaffold: { path: skaffold.yaml }
environment: { namespace: ${namespace}, ttl: 1h }
`,
);
const env = {
  ...Object.fromEntries(['KUBECONFIG', 'CONTAINERS_STORAGE_CONF', 'CONTAINERS_REGISTRIES_CONF'].map((k) => [k, t.vars[k] ?? ''])),
  PATH: `${t.vars.SLIPWAY_TEST_BIN_DIRS}:${process.env.PATH}`,
  SLIPWAY_REDIS_URL: t.redisUrl,
  SLIPWAY_KEY_PREFIX: `slipway-bench-skaffold-${run}:`,
  SLIPWAY_DATA_DIR: path.join(dir, '.slipway'),
  SLIPWAY_PIPELINES: path.join(dir, 'pipelines'),
  SLIPWAY_LOG_LEVEL: 'warn',
  BENCH_DIR: dir,
  BENCH_REPO: `file://${repo}`,
  BENCH_REGISTRY_IMAGE: image(''),
  BENCH_BASE: t.baseImage,
  BENCH_NAMESPACE: `${namespace}-plain`,
  BENCH_HELM: t.helm,
};
const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ');
await exec(['npm', 'run', 'build'], { cwd: ROOT });
console.log(`slipway: env ${envArgs} node ${ROOT}/dist/cli/bin.js run skaffold --no-cache`);
console.log(`plain:   env ${envArgs} sh ${ROOT}/bench/skaffold/plain.sh`);
