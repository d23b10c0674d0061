// Artifacts in the order their `requires` allow: each starts once what it requires is built, up
// to `concurrency` at once, so independent artifacts build in parallel. A requirement cycle, or
// one naming no artifact, is an error before anything builds. The first failure stops new starts.
import { ConfigError } from '../../core/errors.ts';
import type { PlanArtifact } from '../../pipelines/plan.ts';

export function checkRequires(artifacts: readonly PlanArtifact[]): void {
  const byImage = new Map(artifacts.map((a) => [a.image, a]));
  for (const a of artifacts) for (const r of a.requires) if (!byImage.has(r.image)) throw new ConfigError(`artifact ${a.image} requires ${r.image}, which is not an artifact of this build`);
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (a: PlanArtifact, trail: string[]) => {
    if (state.get(a.image) === 'done') return;
    if (state.get(a.image) === 'visiting') throw new ConfigError(`artifacts require each other in a cycle: ${[...trail, a.image].join(' → ')}`);
    state.set(a.image, 'visiting');
    for (const r of a.requires) visit(byImage.get(r.image)!, [...trail, a.image]);
    state.set(a.image, 'done');
  };
  for (const a of artifacts) visit(a, []);
}

/**
 * Builds every artifact with `build`, which gets the results of the artifacts it requires.
 * Results come back in the artifacts' order.
 */
export async function buildWithRequires<A extends PlanArtifact, R>(
  artifacts: readonly A[],
  concurrency: number,
  build: (artifact: A, required: ReadonlyMap<string, R>) => Promise<R>,
): Promise<R[]> {
  checkRequires(artifacts);
  const results = new Map<string, R>();
  const pending = new Set(artifacts.map((a) => a.image));
  const running = new Map<string, Promise<void>>();
  let failure: { err: unknown } | undefined;
  while (pending.size || running.size) {
    if (!failure) {
      for (const a of artifacts) {
        if (running.size >= Math.max(1, concurrency)) break;
        if (!pending.has(a.image) || !a.requires.every((r) => results.has(r.image))) continue;
        pending.delete(a.image);
        const required = new Map(a.requires.map((r) => [r.image, results.get(r.image)!]));
        running.set(
          a.image,
          build(a, required).then(
            (r) => {
              results.set(a.image, r);
            },
            (err: unknown) => {
              failure ??= { err };
            },
          ).finally(() => running.delete(a.image)),
        );
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failure) throw failure.err;
  return artifacts.map((a) => results.get(a.image)!);
}
