// Checkout: fetch the repository's mirror, resolve the branch head when the trigger gave no sha,
// and make a worktree of the exact commit. When the webhook could not decide the path filter,
// decide it here from the diff before..after.
import path from 'node:path';
import picomatch from 'picomatch';
import { ValidationError } from '../../core/errors.ts';
import { isZeroSha } from '../../core/git-sha.ts';
import type { BuildContext } from '../build-context.ts';
import { validateSha } from '../git.ts';

export interface CheckoutResult {
  /** Set when nothing under on.push.paths changed: the build ends here, succeeded. */
  skipReason?: string;
}

export function pathsMatch(files: string[], paths: string[], ignorePaths: string[]): boolean {
  const include = paths.length ? picomatch(paths, { dot: true }) : () => true;
  const exclude = ignorePaths.length ? picomatch(ignorePaths, { dot: true }) : () => false;
  return files.some((f) => include(f) && !exclude(f));
}

export async function checkoutStage(ctx: BuildContext): Promise<CheckoutResult> {
  const { git, workdir } = ctx.deps;
  const source = ctx.pipeline.source;
  ctx.line(`fetching ${ctx.record.repo}`);
  const mirror = await git.mirror(ctx.record.repo, { allowLocal: source.allowLocal, signal: ctx.signal });
  ctx.mirror = mirror;

  if (!ctx.sha) {
    if (ctx.branch === undefined) throw new ValidationError('the build has neither a commit nor a branch to build');
    const sha = await git.resolveBranch(mirror, ctx.branch);
    ctx.sha = sha;
    await ctx.update((r) => ({ ...r, sha }));
    ctx.line(`branch ${ctx.branch} is at ${sha}`);
  } else {
    validateSha(ctx.sha);
    if (!(await git.hasCommit(mirror, ctx.sha))) throw new ValidationError(`commit ${ctx.sha} is not in ${ctx.record.repo}`);
  }

  const push = ctx.pipeline.on.push;
  if (ctx.record.pathsUndecided && (push.paths.length || push.ignorePaths.length)) {
    const before = ctx.record.before;
    if (before && /^[0-9a-f]{40}$/.test(before) && !isZeroSha(before) && (await git.hasCommit(mirror, before))) {
      const files = await git.changedFiles(mirror, before, ctx.sha);
      if (!pathsMatch(files, push.paths, push.ignorePaths)) {
        ctx.line(`no changed file matches on.push.paths (${files.length} files changed)`);
        return { skipReason: 'no changes in paths' };
      }
    } else {
      ctx.line('the previous commit is unknown: building without the path filter');
    }
  }

  const workspace = path.join(workdir, 'builds', ctx.record.id);
  // a re-run after a crash finds the old worktree: start clean
  await git.removeCheckout(mirror, workspace);
  await git.checkout(mirror, ctx.sha, workspace);
  ctx.workspace = workspace;
  ctx.line(`checked out ${ctx.sha}`);
  return {};
}
