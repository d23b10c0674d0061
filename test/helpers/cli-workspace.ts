// Where the `slipway run` tests run the CLI: a fixture repository holding the runner-app's
// Dockerfile and chart (test/fixtures/runner-app), and a folder with pipelines/ that the CLI runs
// in, its data folder inside it and no Redis unless a run is given one.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CliContext } from '../../cli/context.ts';
import { fixtureRepo, type FixtureRepo } from './fixture-repo.ts';
import { ROOT } from './testenv.ts';

export interface CliRun {
  ctx: CliContext;
  out(): string;
  err(): string;
}

export interface CliWorkspace {
  repo: FixtureRepo;
  dir: string;
  /** Writes pipelines/<name>.yaml. */
  pipeline(name: string, yaml: string): Promise<void>;
  /** A context for one main() call, its output kept; `env` over the workspace's. */
  cli(env?: Record<string, string>): CliRun;
  cleanup(): Promise<void>;
}

/** `env`: what every run of this workspace has over process.env (e.g. SLIPWAY_TIMINGS). */
export async function cliWorkspace(name: string, env: Record<string, string> = {}): Promise<CliWorkspace> {
  const app = path.join(ROOT, 'test/fixtures/runner-app');
  const repo = await fixtureRepo({
    Dockerfile: await readFile(path.join(app, 'Dockerfile'), 'utf8'),
    'chart/Chart.yaml': await readFile(path.join(app, 'chart/Chart.yaml'), 'utf8'),
  });
  const dir = await mkdtemp(path.join(tmpdir(), `slipway-${name}-`));
  await mkdir(path.join(dir, 'pipelines'));
  return {
    repo,
    dir,
    pipeline: (pipeline, yaml) => writeFile(path.join(dir, 'pipelines', `${pipeline}.yaml`), yaml),
    cli(runEnv = {}) {
      const out: string[] = [];
      const err: string[] = [];
      const ctx: CliContext = {
        stdout: (t: string) => void out.push(t),
        stderr: (t: string) => void err.push(t),
        env: { ...process.env, SLIPWAY_DATA_DIR: path.join(dir, '.slipway'), SLIPWAY_REDIS_URL: '', ...env, ...runEnv },
        cwd: dir,
      };
      return { ctx, out: () => out.join(''), err: () => err.join('') };
    },
    async cleanup() {
      await repo.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
