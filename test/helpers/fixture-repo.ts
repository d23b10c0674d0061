// A git repository made at test time in a temp dir (through runner/exec.ts, as test code may):
// commit files, branch, and hand out its file:// URL.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exec } from '../../runner/exec.ts';

export interface FixtureRepo {
  dir: string;
  url: string;
  /** Writes the files (path → content) and commits them on the current branch; returns the sha. */
  commit(files: Record<string, string>, message?: string): Promise<string>;
  /** Creates (or switches to) a branch. */
  branch(name: string): Promise<void>;
  head(): Promise<string>;
  cleanup(): Promise<void>;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Slipway Test',
  GIT_AUTHOR_EMAIL: 'test@slipway.invalid',
  GIT_COMMITTER_NAME: 'Slipway Test',
  GIT_COMMITTER_EMAIL: 'test@slipway.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

export async function fixtureRepo(initial: Record<string, string> = { 'README.md': 'fixture\n' }): Promise<FixtureRepo> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-repo-'));
  const git = (...args: string[]) => exec(['git', '-C', dir, ...args], { env: GIT_ENV });
  await git('init', '-q', '-b', 'main');
  const repo: FixtureRepo = {
    dir,
    url: `file://${dir}`,
    async commit(files, message = 'change') {
      for (const [file, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), content);
      }
      await git('add', '-A');
      await git('commit', '-q', '--allow-empty', '-m', message);
      return repo.head();
    },
    async branch(name) {
      const exists = await git('rev-parse', '--verify', '--quiet', `refs/heads/${name}`).then(() => true, () => false);
      await git('checkout', '-q', ...(exists ? [] : ['-b']), name);
    },
    async head() {
      return (await git('rev-parse', 'HEAD')).stdout.trim();
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
  await repo.commit(initial, 'initial');
  return repo;
}
