// What the runner benchmarks set up alike (bench/runner/prepare-overhead.ts,
// bench/runner/runner-overhead.ts, bench/skaffold/prepare.ts): a scratch folder with a committed
// fixture repository and a pipelines folder, an image repository and Redis key prefix of their
// own (tags are immutable and every fresh data folder numbers builds from 1 again), the
// environment both sides run with (the testenv's cluster, storage and registries, its binaries
// on PATH, BENCH_* for the plain scripts), and the native pipeline of the fixture app.
// Needs the testenv.
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exec } from '../runner/exec.ts';
import { ROOT, testenv, type Testenv } from '../test/helpers/testenv.ts';

export { ROOT };

export interface BenchFixture {
  t: Testenv;
  /** The scratch folder: repo/, pipelines/, .slipway/ (the data folder), plain/ (the scripts'). */
  dir: string;
  repo: string;
  /** `file://` URL of the repository, as pipelines and the scripts name it. */
  repoUrl: string;
  /** Unique to this fixture: image repositories and the Redis key prefix carry it. */
  run: string;
  /** An image repository of this fixture's own: `<registry>/slipway-bench-<run>/<name>`. */
  image(name: string): string;
  /** Makes the repository: a folder copied (e.g. RUNNER_APP) or these files, committed on main. */
  commit(from: string | Record<string, string>): Promise<void>;
  /** git in the repository, with an author; resolves with its stdout, trimmed. */
  git(...args: string[]): Promise<string>;
  /** Writes pipelines/<name>.yaml. */
  pipeline(name: string, yaml: string): Promise<void>;
  /** The environment of both sides: the testenv's, Slipway's (SLIPWAY_*) and the scripts' (BENCH_*). */
  env(extra: { namespace: string; slipway?: Record<string, string>; bench?: Record<string, string> }): Record<string, string>;
}

const GIT_ENV = { GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };

/** The scratch folder (`prefix`: its mkdtemp prefix) with an empty pipelines folder; the repository comes with commit(). */
export async function benchFixture(prefix: string): Promise<BenchFixture> {
  const t = testenv();
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const repo = path.join(dir, 'repo');
  const git = async (...args: string[]) => (await exec(['git', '-C', repo, ...args], { env: GIT_ENV })).stdout.trim();
  await mkdir(path.join(dir, 'pipelines'));
  const run = Date.now().toString(36);
  const repoUrl = `file://${repo}`;
  return {
    t,
    dir,
    repo,
    repoUrl,
    run,
    image: (name) => `${t.registry}/slipway-bench-${run}/${name}`,
    async commit(from) {
      if (typeof from === 'string') {
        await cp(from, repo, { recursive: true });
      } else {
        for (const [f, text] of Object.entries(from)) {
          await mkdir(path.dirname(path.join(repo, f)), { recursive: true });
          await writeFile(path.join(repo, f), text);
        }
      }
      await git('init', '-q', '-b', 'main');
      await git('add', '-A');
      await git('commit', '-q', '-m', 'app');
    },
    git,
    pipeline: (name, yaml) => writeFile(path.join(dir, 'pipelines', `${name}.yaml`), yaml),
    env: ({ namespace, slipway = {}, bench = {} }) => ({
      ...Object.fromEntries(['KUBECONFIG', 'CONTAINERS_STORAGE_CONF', 'CONTAINERS_REGISTRIES_CONF'].map((k) => [k, t.vars[k] ?? ''])),
      PATH: `${t.vars.SLIPWAY_TEST_BIN_DIRS}:${process.env.PATH}`,
      SLIPWAY_REDIS_URL: t.redisUrl,
      SLIPWAY_KEY_PREFIX: `slipway-bench-${run}:`,
      SLIPWAY_DATA_DIR: path.join(dir, '.slipway'),
      SLIPWAY_PIPELINES: path.join(dir, 'pipelines'),
      SLIPWAY_LOG_LEVEL: 'warn',
      ...slipway,
      BENCH_DIR: dir,
      BENCH_REPO: repoUrl,
      BENCH_BASE: t.baseImage,
      BENCH_NAMESPACE: namespace,
      BENCH_HELM: t.helm,
      ...bench,
    }),
  };
}

/**
 * The native pipeline of test/fixtures/runner-app that bench/runner/plain-pipeline.sh does by
 * hand: one image, a test step, a helm release with the image's repo, tag and digest.
 */
export function runnerAppPipeline(f: BenchFixture, name: string, image: string, namespace: string): string {
  return `apiVersion: slipway/v1
kind: Pipeline
metadata: { name: ${name} }
source: { repo: "${f.repoUrl}", allowLocal: true }
build:
  artifacts:
    - image: ${image}
      docker: { buildArgs: { BASE: "${f.t.baseImage}" } }
test:
  - { name: unit, run: [sh, -c, "test -f chart/Chart.yaml && echo tests passed"] }
deploy:
  helm:
    releases:
      - name: app
        chartPath: chart
        setValues:
          image.repository: "{{ .Images.${name}.Repo }}"
          image.tag: "{{ .Images.${name}.Tag }}"
          image.digest: "{{ .Images.${name}.Digest }}"
    timeout: 60s
environment: { namespace: ${namespace}, ttl: 1h }
`;
}

export const RUNNER_APP = path.join(ROOT, 'test/fixtures/runner-app');

/** `env K=V ...` as bench/runner/overhead.ts splits a command (on spaces). */
export const envArgs = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ');

/** The bundled CLI (dist/cli/bin.js), as the container image runs it. */
export async function buildBundle(): Promise<string> {
  await exec(['npm', 'run', 'build'], { cwd: ROOT, timeoutMs: 300_000 });
  return path.join(ROOT, 'dist/cli/bin.js');
}
