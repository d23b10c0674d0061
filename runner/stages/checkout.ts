// Checkout: fetch the repository's mirror, resolve the branch head when the trigger gave no sha,
// and make a worktree of the exact commit. When the webhook could not decide the path filter,
// decide it here from the diff before..after.
import path from 'node:path';
import picomatch from 'picomatch';
import { ValidationError } from '../../core/errors.ts';
import { isZeroSha } from '../../core/git-sha.ts';
import { stripCredentials } from '../../core/repo-url.ts';
import { validateSha } from '../git.ts';
import { firstLine, retry } from '../retry.ts';
import { retryOptions } from './retry-options.ts';
import type { BuildScope, CheckoutResult } from './types.ts';

export function pathsMatch(files: string[], paths: string[], ignorePaths: string[]): boolean {
  const include = paths.length ? picomatch(paths, { dot: true }) : () => true;
  const exclude = ignorePaths.length ? picomatch(ignorePaths, { dot: true }) : () => false;
  return files.some((f) => include(f) && !exclude(f));
}

export async function checkoutStage(scope: BuildScope): Promise<CheckoutResult> {
  const { git, workdir } = scope.deps;
  const { build, pipeline } = scope;
  // The record holds the URL without credentials (core/build-store.ts): the pipeline's has them.
  const repo = stripCredentials(pipeline.source.repo) === build.repo ? pipeline.source.repo : build.repo;
  scope.line(`fetching ${stripCredentials(repo)}`);
  // a fetch that fails transiently (the forge's 5xx, a connection reset) is tried again
  const mirror = await retry(() => git.mirror(repo, { allowLocal: pipeline.source.allowLocal, signal: scope.signal }), {
    ...retryOptions(scope),
    onRetry: (err, attempt, attempts) => scope.line(`fetch failed (attempt ${attempt} of ${attempts}), retrying: ${firstLine(err)}`),
  });

  let sha = build.sha;
  if (!sha) {
    if (build.branch === undefined) throw new ValidationError('the build has neither a commit nor a branch to build');
    const head = await git.resolveBranch(mirror, build.branch);
    sha = head;
    await scope.update((r) => ({ ...r, sha: head }));
    scope.line(`branch ${build.branch} is at ${head}`);
  } else {
    validateSha(sha);
    if (!(await git.hasCommit(mirror, sha))) throw new ValidationError(`commit ${sha} is not in ${stripCredentials(repo)}`);
  }

  const push = pipeline.on.push;
  if (build.pathsUndecided && (push.paths.length || push.ignorePaths.length)) {
    const before = build.before;
    if (before && /^[0-9a-f]{40}$/.test(before) && !isZeroSha(before) && (await git.hasCommit(mirror, before))) {
      const files = await git.changedFiles(mirror, before, sha);
      if (!pathsMatch(files, push.paths, push.ignorePaths)) {
        scope.line(`no changed file matches on.push.paths (${files.length} files changed)`);
        return { kind: 'skip', sha, reason: 'no changes in paths' };
      }
    } else {
      scope.line('the previous commit is unknown: building without the path filter');
    }
  }

  const workspace = path.join(workdir, 'builds', build.id);
  // a re-run after a crash finds the old worktree: start clean
  await git.removeCheckout(mirror, workspace);
  await git.checkout(mirror, sha, workspace);
  scope.line(`checked out ${sha}`);
  return { kind: 'ready', sha, mirror, workspace };
}
