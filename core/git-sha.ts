// Commit shas as forges send them: the all-zero sha stands for "no commit" (a branch created or
// deleted, or a forge's test delivery). The one place that knows it.

export const ZERO_SHA = '0'.repeat(40);

/** True for an all-zero sha (any length: SHA-1's 40 or SHA-256's 64). */
export function isZeroSha(sha: string | undefined): boolean {
  return sha !== undefined && /^0+$/.test(sha);
}
