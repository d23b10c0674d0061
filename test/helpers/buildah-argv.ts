// The runner's buildah call inside a recorded argv: buildah's `bud` runs in the sandbox's builder
// mode (unshare … bwrap … -- buildah …), its push as the runner's own child (buildah …).

/** The `buildah …` part of `argv` (itself, or what follows the sandbox's `--`), else undefined. */
export function buildahArgv(argv: readonly string[]): string[] | undefined {
  const i = argv.findIndex((a, j) => a === 'buildah' && (j === 0 || argv[j - 1] === '--'));
  return i < 0 ? undefined : argv.slice(i);
}

/** Whether `argv` runs buildah (directly or in the sandbox). */
export function isBuildah(argv: readonly string[]): boolean {
  return buildahArgv(argv) !== undefined;
}
