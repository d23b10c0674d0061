// The one door for git: argv arrays through runner/exec.ts (no shell), a clean environment
// (PATH, HOME, the ssh agent; no prompts; only the allowed protocols). One bare mirror per
// repository under the workdir, fetched incrementally; each build gets a detached worktree of
// its exact sha, removed afterwards. Nothing from a payload is ever placed where git could read
// it as an option: shas are validated hex, branches are passed fully qualified (refs/heads/<b>)
// after validation, URLs after `--` where git accepts it (or checked not to start with `-`), and
// only http(s), ssh, git (and file:// when the pipeline allows local repositories) are let through.
import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CancelledError, ChildProcessError, ValidationError } from '../core/errors.ts';
import { redactCredentials, urlCredentials } from '../core/repo-url.ts';
import { exec as realExec, type Exec } from './exec.ts';
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

export interface GitOptions {
  /** Mirrors live under <workdir>/mirrors. */
  workdir: string;
  /** A git command still running after this long is killed. Default 10 minutes. */
  timeoutMs?: number;
  /** The subprocess door (tests may record it). Default runner/exec.ts. */
  exec?: Exec;
}

/** git's environment: nothing of ours but PATH, HOME and the ssh agent; never a prompt. */
function gitEnv(allowLocal: boolean): Record<string, string | undefined> {
  return {
    SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: allowLocal ? 'http:https:ssh:git:file' : 'http:https:ssh:git',
    LC_ALL: 'C',
  };
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

  const noMask: Masker = (t) => t;
  const execGit = options.exec ?? realExec;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  /**
   * git <args> in `cwd`; its stdout. Errors name `shown` (a redacted argv) and the tail; `secrets`
   * (and their encoded forms) are masked in both.
   */
  const git = async (cwd: string, args: string[], o: { shown: string[]; allowLocal?: boolean; signal?: AbortSignal; secrets?: string[] }): Promise<string> => {
    const mask = o.secrets?.length ? createMasker(o.secrets) : noMask;
    try {
      const res = await execGit(['git', ...args], {
        cwd,
        cleanEnv: true,
        env: gitEnv(o.allowLocal ?? true),
        timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.secrets?.length ? { secrets: o.secrets } : {}),
      });
      return res.stdout;
    } catch (err) {
      if (err instanceof ValidationError || err instanceof CancelledError) throw err;
      const tail = err instanceof ChildProcessError ? err.tail : [err instanceof Error ? err.message : String(err)];
      throw new ChildProcessError({
        command: o.shown.map(mask),
        ...(err instanceof ChildProcessError ? { exitCode: err.exitCode, signal: err.signal, timedOut: err.timedOut } : {}),
        tail: tail.map(mask).filter(Boolean).slice(-20),
      });
    }
  };

  return {
    async mirror(url, opts = {}) {
      validateRepoUrl(url, opts.allowLocal);
      const allowLocal = opts.allowLocal ?? false;
      const secrets = urlCredentials(url);
      const signal = opts.signal;
      const dir = path.join(mirrorsDir, createHash('sha256').update(url).digest('hex').slice(0, 24));
      return serial(dir, async () => {
        const exists = await stat(path.join(dir, 'HEAD')).then(() => true, () => false);
        if (!exists) {
          await mkdir(mirrorsDir, { recursive: true });
          await rm(dir, { recursive: true, force: true });
          const shown = ['git', 'clone', '--mirror', '--', redactCredentials(url), dir];
          await git(mirrorsDir, ['clone', '--mirror', '--', url, dir], { shown, allowLocal, secrets, ...(signal ? { signal } : {}) });
        } else {
          // the mirror's directory is keyed by its URL, so origin is always this URL
          const shown = ['git', 'fetch', '--prune', 'origin'];
          await git(dir, ['fetch', '--prune', '--no-recurse-submodules', 'origin'], { shown, allowLocal, secrets, ...(signal ? { signal } : {}) });
        }
        return dir;
      });
    },

    async resolveBranch(mirrorDir, branch) {
      validateBranch(branch);
      const ref = `refs/heads/${branch}`;
      const out = await git(mirrorDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { shown: ['git', 'rev-parse', ref] }).catch(
        () => '',
      );
      const sha = out.trim();
      if (!SHA.test(sha)) throw new ValidationError(`branch ${branch} does not exist in the repository`);
      return sha;
    },

    async hasCommit(mirrorDir, sha) {
      validateSha(sha);
      const out = await git(mirrorDir, ['cat-file', '-t', '--end-of-options', sha], { shown: ['git', 'cat-file', '-t', sha] }).catch(() => '');
      return out.trim() === 'commit';
    },

    async checkout(mirrorDir, sha, dest) {
      validateSha(sha);
      await mkdir(path.dirname(dest), { recursive: true });
      await serial(mirrorDir, () =>
        git(mirrorDir, ['worktree', 'add', '--detach', '--force', '--end-of-options', dest, sha], { shown: ['git', 'worktree', 'add', '--detach', dest, sha] }),
      );
    },

    async removeCheckout(mirrorDir, dest) {
      if (!(await stat(dest).then(() => true, () => false))) return;
      await serial(mirrorDir, async () => {
        const removed = await git(mirrorDir, ['worktree', 'remove', '--force', '--force', '--end-of-options', dest], { shown: ['git', 'worktree', 'remove', dest] }).then(
          () => true,
          () => false,
        );
        if (removed) return;
        // not a worktree any more (or half made): remove the files and forget it
        await rm(dest, { recursive: true, force: true }).catch(() => undefined);
        await git(mirrorDir, ['worktree', 'prune'], { shown: ['git', 'worktree', 'prune'] }).catch(() => undefined);
      });
    },

    async changedFiles(mirrorDir, before, after) {
      validateSha(before);
      validateSha(after);
      const out = await git(mirrorDir, ['diff', '--name-only', '--no-renames', '--end-of-options', before, after, '--'], {
        shown: ['git', 'diff', '--name-only', before, after],
      });
      return out.split('\n').filter(Boolean);
    },

    async lsRemoteBranches(url, opts = {}) {
      validateRepoUrl(url, opts.allowLocal);
      await mkdir(options.workdir, { recursive: true });
      const out = await git(options.workdir, ['ls-remote', '--heads', '--', url], {
        shown: ['git', 'ls-remote', '--heads', '--', redactCredentials(url)],
        allowLocal: opts.allowLocal ?? false,
        secrets: urlCredentials(url),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      return out
        .split('\n')
        .map((l) => /^([0-9a-f]{40,64})\trefs\/heads\/(.+)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ sha: m[1]!, branch: m[2]! }));
    },
  };
}
