// Path patterns over parsed YAML: `build.artifacts[*].jib` names every artifact's jib; each match
// comes back as its concrete path (['build', 'artifacts', 2, 'jib']).
import type { PathKey } from '../yaml-problems.ts';

type Step = { key: string; each: boolean };

function steps(pattern: string): Step[] {
  return pattern.split('.').map((part) => (part.endsWith('[*]') ? { key: part.slice(0, -3), each: true } : { key: part, each: false }));
}

/** Every concrete path in `value` matching `pattern` whose value is present (not undefined/null). */
export function matchPaths(value: unknown, pattern: string): PathKey[][] {
  let frontier: { at: unknown; path: PathKey[] }[] = [{ at: value, path: [] }];
  for (const step of steps(pattern)) {
    const next: typeof frontier = [];
    for (const { at, path } of frontier) {
      if (typeof at !== 'object' || at === null || Array.isArray(at)) continue;
      const child = (at as Record<string, unknown>)[step.key];
      if (child === undefined || child === null) continue;
      if (!step.each) next.push({ at: child, path: [...path, step.key] });
      else if (Array.isArray(child)) child.forEach((item, i) => next.push({ at: item, path: [...path, step.key, i] }));
    }
    frontier = next;
  }
  return frontier.map((f) => f.path);
}

/** The pattern for the document itself and for every profile of it. */
export function withProfiles(pattern: string): string[] {
  return [pattern, `profiles[*].${pattern}`];
}
