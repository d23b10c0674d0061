// Git on the demo's local working repositories (`slipway up`): a bare "forge" repository and a
// clone to push from, through the runner's exec door like all git.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { exec as realExec } from '../../runner/exec.ts';
import { validateBranch, validateRepoUrl } from '../../runner/git.ts';

/**
 * Git on local working repositories, for `slipway up`'s demo (a bare "forge" repository and a
 * clone to push from). The demo's paths and messages are Slipway's own, never a payload's.
 */
export function createLocalGit(): {
  initBare(dir: string, branch: string): Promise<void>;
  clone(url: string, dest: string): Promise<void>;
  commitAll(dir: string, message: string, author: { name: string; email: string }): Promise<void>;
  push(dir: string, remote: string, ref: string): Promise<void>;
  setConfig(dir: string, key: string, value: string): Promise<void>;
} {
  const at = (dir: string) => async (args: string[]): Promise<void> => {
    await realExec(['git', ...args], { cwd: dir, cleanEnv: true, env: { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } });
  };
  return {
    async initBare(dir, branch) {
      await mkdir(dir, { recursive: true });
      await at(dir)(['init', '--bare', `--initial-branch=${validateBranch(branch)}`]);
    },
    async clone(url, dest) {
      await mkdir(path.dirname(dest), { recursive: true });
      await at(path.dirname(dest))(['clone', '--', validateRepoUrl(url, true), dest]);
    },
    async commitAll(dir, message, author) {
      const git = at(dir);
      await git(['add', '--all']);
      await git(['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`, 'commit', '--quiet', '-m', message]);
    },
    async push(dir, remote, ref) {
      await at(dir)(['push', '--quiet', remote, ref]);
    },
    async setConfig(dir, key, value) {
      await at(dir)(['config', key, value]);
    },
  };
}
