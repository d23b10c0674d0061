// The one door for git, over simple-git (4.x: its unsafe-option protections stay on). One bare
// mirror per repository under the workdir, fetched incrementally; each build gets a detached
// worktree of its exact sha, removed afterwards. Nothing from a payload is ever placed where
// git could read it as an option: shas are validated hex, branches are passed fully qualified
// (refs/heads/<b>) after validation, URLs after `--` where git accepts it, and only http(s),
// ssh, git (and file:// when the pipeline allows local repositories) are let through.
import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { ChildProcessError, ValidationError } from '../core/errors.ts';
import { createMasker, type Masker } from './mask.ts';

export interface RepoOptions {
  /** Let file:// URLs through (pipeline source.allowLocal). */
  allowLocal?: boolean;
  signal?: AbortSignal;
}

export interface RemoteBranch {
  branch: string;
  sha: string;
}

export interface Git {
  /** Creates or fetches the bare mirror of `url`; returns its directory. */
  mirror(url: string, options?: RepoOptions): Promise<string>;
  /** The commit refs/heads/<branch> points at in the mirror (after `mirror()`). */
  resolveBranch(mirrorDir: string, branch: string): Promise<string>;
  /** Whether the mirror has commit `sha`. */
  hasCommit(mirrorDir: string, sha: string): Promise<boolean>;
  /** A detached worktree of `sha` at `dest` (which must not exist). */
  checkout(mirrorDir: string, sha: string, dest: string): Promise<void>;
  /** Removes a worktree made by `checkout`. Never throws. */
  removeCheckout(mirrorDir: string, dest: string): Promise<void>;
  /** Files changed between two commits (paths relative to the repository root). */
  changedFiles(mirrorDir: string, before: string, after: string): Promise<string[]>;
  /** Branch heads of a remote repository, without a mirror. */
  lsRemoteBranches(url: string, options?: RepoOptions): Promise<RemoteBranch[]>;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function validateSha(sha: string): string {
  if (!SHA.test(sha)) throw new ValidationError(`${JSON.stringify(sha)} is not a full commit sha (40 or 64 hex digits)`);
  return sha;
}

/** Branch names as git's check-ref-format allows them, and never starting with `-`. */
export function validateBranch(branch: string): string {
  const bad =
    branch.length === 0 ||
    branch.length > 255 ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.endsWith('.lock') ||
    branch === '@' ||
    /\.\.|@\{|\/\/|\/\.|^\.|[\x00-\x20\x7f~^:?*[\\]/.test(branch);
  if (bad) throw new ValidationError(`${JSON.stringify(branch)} is not a valid branch name`);
  return branch;
}

/** Refuses anything but http(s), ssh, git and scp-like ssh (and file:// when allowed). */
export function validateRepoUrl(url: string, allowLocal = false): string {
  if (url.startsWith('-')) throw new ValidationError('a repository URL cannot start with "-"');
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(url)) throw new ValidationError(`repository URL transport ${url.split('::')[0]}:: is not allowed`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    // scp-like user@host:path is ssh; a bare path is a local repository
    if (/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/]/.test(url) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\//.test(url)) return url;
    throw new ValidationError('repository URL must be http(s)://, ssh://, git:// (or file:// with source.allowLocal)');
  }
  if (['http', 'https', 'ssh', 'git'].includes(scheme)) return url;
  if (scheme === 'file') {
    if (allowLocal) return url;
    throw new ValidationError('file:// repository URLs need source.allowLocal: true in the pipeline');
  }
  throw new ValidationError(`repository URL scheme ${scheme}:// is not allowed (http, https, ssh, git)`);
}

/** A URL's user and password replaced by *** for messages. */
export function redactRepoUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    else if (u.username) u.username = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    return [u.password, u.password ? '' : u.username].filter((s) => s.length > 0).map(decodeURIComponent);
  } catch {
    return [];
  }
}

export interface GitOptions {
  /** Mirrors live under <workdir>/mirrors. */
  workdir: string;
  /** simple-git's timeout: a git command silent for this long is killed. Default 10 minutes. */
  silentTimeoutMs?: number;
}

export function createGit(options: GitOptions): Git {
  const mirrorsDir = path.join(options.workdir, 'mirrors');
  // Operations on one mirror run one at a time in this process (git's own locks would fail them).
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(dir: string, fn: () => Promise<T>): Promise<T> => {
    const prev = queues.get(dir) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    queues.set(dir, settled);
    void settled.then(() => {
      if (queues.get(dir) === settled) queues.delete(dir);
    });
    return next;
  };

  const client = (baseDir: string, allowLocal: boolean, signal?: AbortSignal): SimpleGit => {
    const git = simpleGit({
      baseDir,
      timeout: { block: options.silentTimeoutMs ?? 10 * 60_000 },
      allowEnvironment: ['GIT_ALLOW_PROTOCOL', 'GIT_TERMINAL_PROMPT', 'LC_ALL', 'SSH_AUTH_SOCK'],
      ...(signal ? { abort: signal } : {}),
    });
    return git.env({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...(process.env.SSH_AUTH_SOCK ? { SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK } : {}),
      GIT_TERMINAL_PROMPT: '0',
      GIT_ALLOW_PROTOCOL: allowLocal ? 'http:https:ssh:git:file' : 'http:https:ssh:git',
      LC_ALL: 'C',
    });
  };

  // git's errors can carry the URL (with credentials): mask them and keep the tail.
  const run = async <T>(command: string[], mask: Masker, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ValidationError) throw err;
      const text = mask(err instanceof Error ? err.message : String(err));
      throw new ChildProcessError({ command: command.map(mask), tail: text.split('\n').filter(Boolean).slice(-20) });
    }
  };

  const local = (dir: string, signal?: AbortSignal) => client(dir, true, signal);
  const noMask: Masker = (t) => t;

  return {
    async mirror(url, opts = {}) {
      validateRepoUrl(url, opts.allowLocal);
      const allow = opts.allowLocal ?? false;
      const mask = createMasker(urlSecrets(url));
      const dir = path.join(mirrorsDir, createHash('sha256').update(url).digest('hex').slice(0, 24));
      return serial(dir, async () => {
        const exists = await stat(path.join(dir, 'HEAD')).then(() => true, () => false);
        if (!exists) {
          await mkdir(mirrorsDir, { recursive: true });
          await rm(dir, { recursive: true, force: true });
          const argv = ['git', 'clone', '--mirror', '--', redactRepoUrl(url), dir];
          await run(argv, mask, () => client(mirrorsDir, allow, opts.signal).raw(['clone', '--mirror', '--', url, dir]));
        } else {
          // the mirror's directory is keyed by its URL, so origin is always this URL
          const argv = ['git', 'fetch', '--prune', 'origin'];
          await run(argv, mask, () => client(dir, allow, opts.signal).raw(['fetch', '--prune', '--no-recurse-submodules', 'origin']));
        }
        return dir;
      });
    },

    async resolveBranch(mirrorDir, branch) {
      validateBranch(branch);
      const ref = `refs/heads/${branch}`;
      const out = await run(['git', 'rev-parse', ref], noMask, () =>
        local(mirrorDir).raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).catch(() => ''),
      );
      const sha = out.trim();
      if (!SHA.test(sha)) throw new ValidationError(`branch ${branch} does not exist in the repository`);
      return sha;
    },

    async hasCommit(mirrorDir, sha) {
      validateSha(sha);
      const out = await local(mirrorDir)
        .raw(['cat-file', '-t', '--end-of-options', sha])
        .catch(() => '');
      return out.trim() === 'commit';
    },

    async checkout(mirrorDir, sha, dest) {
      validateSha(sha);
      await mkdir(path.dirname(dest), { recursive: true });
      await serial(mirrorDir, () =>
        run(['git', 'worktree', 'add', '--detach', dest, sha], noMask, () =>
          local(mirrorDir).raw(['worktree', 'add', '--detach', '--force', '--end-of-options', dest, sha]),
        ),
      );
    },

    async removeCheckout(mirrorDir, dest) {
      if (!(await stat(dest).then(() => true, () => false))) return;
      await serial(mirrorDir, async () => {
        const removed = await local(mirrorDir)
          .raw(['worktree', 'remove', '--force', '--force', '--end-of-options', dest])
          .then(() => true, () => false);
        if (removed) return;
        // not a worktree any more (or half made): remove the files and forget it
        await rm(dest, { recursive: true, force: true }).catch(() => undefined);
        await local(mirrorDir).raw(['worktree', 'prune']).catch(() => undefined);
      });
    },

    async changedFiles(mirrorDir, before, after) {
      validateSha(before);
      validateSha(after);
      const out = await run(['git', 'diff', '--name-only', before, after], noMask, () =>
        local(mirrorDir).raw(['diff', '--name-only', '--no-renames', '--end-of-options', before, after, '--']),
      );
      return out.split('\n').filter(Boolean);
    },

    async lsRemoteBranches(url, opts = {}) {
      validateRepoUrl(url, opts.allowLocal);
      const mask = createMasker(urlSecrets(url));
      await mkdir(options.workdir, { recursive: true });
      const out = await run(['git', 'ls-remote', '--heads', '--', redactRepoUrl(url)], mask, () =>
        client(options.workdir, opts.allowLocal ?? false, opts.signal).raw(['ls-remote', '--heads', '--', url]),
      );
      return out
        .split('\n')
        .map((l) => /^([0-9a-f]{40,64})\trefs\/heads\/(.+)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ sha: m[1]!, branch: m[2]! }));
    },
  };
}

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
  const at = (dir: string): SimpleGit =>
    simpleGit({ baseDir: dir, allowEnvironment: ['GIT_TERMINAL_PROMPT', 'LC_ALL'] }).env({ PATH: process.env.PATH, HOME: process.env.HOME, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' });
  return {
    async initBare(dir, branch) {
      await mkdir(dir, { recursive: true });
      await at(dir).raw(['init', '--bare', `--initial-branch=${validateBranch(branch)}`]);
    },
    async clone(url, dest) {
      await mkdir(path.dirname(dest), { recursive: true });
      await at(path.dirname(dest)).raw(['clone', '--', validateRepoUrl(url, true), dest]);
    },
    async commitAll(dir, message, author) {
      const git = at(dir);
      await git.raw(['add', '--all']);
      await git.raw(['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`, 'commit', '--quiet', '-m', message]);
    },
    async push(dir, remote, ref) {
      await at(dir).raw(['push', '--quiet', remote, ref]);
    },
    async setConfig(dir, key, value) {
      await at(dir).raw(['config', key, value]);
    },
  };
}
