// Prepares the orchestration-overhead comparison: a fixture app repository, a pipeline file for
// `slipway run`, and an env file for both sides. Prints the two commands to time side by side:
// Slipway (`slipway run`) and bench/runner/plain-pipeline.sh doing the same git, buildah, helm
// and test commands. Needs the testenv. node --import tsx bench/runner/prepare-overhead.ts
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exec } from '../../runner/exec.ts';
import { ROOT, testenv } from '../../test/helpers/testenv.ts';

const t = testenv();
const dir = await mkdtemp(path.join(tmpdir(), 'slipway-overhead-'));
const repo = path.join(dir, 'repo');
await cp(path.join(ROOT, 'test/fixtures/runner-app'), repo, { recursive: true });
const git = (...args: string[]) =>
  exec(['git', '-C', repo, ...args], { env: { GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });
await git('init', '-q', '-b', 'main');
await git('add', '-A');
await git('commit', '-q', '-m', 'app');

const image = `${t.registry}/slipway-bench/overhead`;
const namespace = 'slipway-bench-overhead';
await mkdir(path.join(dir, 'pipelines'));
await writeFile(
  path.join(dir, 'pipelines', 'overhead.yaml'),
  `apiVersion: slipway/v1
kind: Pipeline
metadata: { name: overhead }
source: { repo: "file://${repo}", allowLocal: true }
build:
  artifacts:
    - image: ${image}
      docker: { buildArgs: { BASE: "${t.baseImage}" } }
test:
  - { name: unit, run: [sh, -c, "test -f chart/Chart.yaml && echo tests passed"] }
deploy:
  helm:
    releases:
      - name: app
        chartPath: chart
        setValues:
          image.repository: "{{ .Images.overhead.Repo }}"
          image.tag: "{{ .Images.overhead.Tag }}"
          image.digest: "{{ .Images.overhead.Digest }}"
    timeout: 60s
environment: { namespace: ${namespace}, ttl: 1h }
`,
);
const env = {
  ...Object.fromEntries(['KUBECONFIG', 'CONTAINERS_STORAGE_CONF', 'CONTAINERS_REGISTRIES_CONF'].map((k) => [k, t.vars[k] ?? ''])),
  PATH: `${t.vars.SLIPWAY_TEST_BIN_DIRS}:${process.env.PATH}`,
  SLIPWAY_REDIS_URL: t.redisUrl,
  SLIPWAY_KEY_PREFIX: 'slipway-bench-overhead:',
  SLIPWAY_DATA_DIR: path.join(dir, '.slipway'),
  SLIPWAY_PIPELINES: path.join(dir, 'pipelines'),
  SLIPWAY_LOG_LEVEL: 'warn',
  BENCH_DIR: dir,
  BENCH_REPO: `file://${repo}`,
  BENCH_IMAGE: image,
  BENCH_BASE: t.baseImage,
  BENCH_NAMESPACE: namespace,
  BENCH_HELM: t.helm,
};
const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ');
// Bundled (npm run build, what the container image runs) and through tsx (what a checkout runs).
await exec(['npm', 'run', 'build'], { cwd: ROOT });
console.log(`slipway: env ${envArgs} node ${ROOT}/dist/cli/bin.js run overhead`);
console.log(`slipway-tsx: env ${envArgs} node --import ${ROOT}/node_modules/tsx/dist/esm/index.mjs ${ROOT}/cli/bin.ts run overhead`);
console.log(`plain:   env ${envArgs} sh ${ROOT}/bench/runner/plain-pipeline.sh`);
