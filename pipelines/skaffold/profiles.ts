// Skaffold profiles: which are active (named by the pipeline, by the branch's Slipway profile,
// or by their own activation: env K=V, kubeContext, command), and how one applies: its sections
// overlay the config field by field (lists, maps and one-of sections such as tagPolicy are
// replaced whole), then its JSON patches run in order. A patch whose path does not exist is an
// error naming the profile and the path, at the patch's line. Each artifact of the result keeps
// where it is written: in the config, in a profile's `build` section, or in a patch's `value`.
import type { Problem } from '../../core/errors.ts';
import { positionOf, type PathKey } from '../yaml-problems.ts';
import type { ParsedConfig } from './parse.ts';
import { SkaffoldConfig, type JsonPatch, type SkaffoldProfile } from './schema.ts';

export interface ActivationContext {
  env: Record<string, string | undefined>;
  /** The kube context deploys go to; undefined when the runner has none (in-cluster credentials). */
  kubeContext: string | undefined;
  /** Skaffold's command Slipway plays: `run` for a build (build, test, deploy), `dev` for `slipway dev`. */
  command: string;
}

/**
 * Skaffold's RegexEqual: equal, or an (unanchored) regexp match, one leading `!` negating it; an
 * invalid regexp matches only itself.
 */
export function satisfies(expected: string, actual: string): boolean {
  if (expected.startsWith('!')) return !regexMatch(expected.slice(1), actual);
  return regexMatch(expected, actual);
}

function regexMatch(expected: string, actual: string): boolean {
  if (expected === actual) return true;
  try {
    return new RegExp(expected).test(actual);
  } catch {
    return false;
  }
}

export function activationMatches(a: NonNullable<SkaffoldProfile['activation']>[number], ctx: ActivationContext): boolean {
  if (a.env !== undefined) {
    const eq = a.env.indexOf('=');
    const key = eq < 0 ? a.env : a.env.slice(0, eq);
    const value = eq < 0 ? '' : a.env.slice(eq + 1);
    if (!satisfies(value, ctx.env[key] ?? '')) return false;
  }
  // without a context there is nothing to match, negated or not: `kubeContext: '!prod'` does not
  // activate on a runner that cannot tell which cluster it deploys to
  if (a.kubeContext !== undefined && (ctx.kubeContext === undefined || !satisfies(a.kubeContext, ctx.kubeContext))) return false;
  if (a.command !== undefined && !satisfies(a.command, ctx.command)) return false;
  return true;
}

/** Names of the profiles of `config` that activate themselves in `ctx`. */
export function autoActivated(config: SkaffoldConfig, ctx: ActivationContext): string[] {
  return (config.profiles ?? [])
    .filter((p) => {
      const acts = p.activation ?? [];
      if (acts.length === 0) return false;
      return p.requiresAllActivations ? acts.every((a) => activationMatches(a, ctx)) : acts.some((a) => activationMatches(a, ctx));
    })
    .map((p) => p.name);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sections of which a profile names one, replacing the others: the rest merge field by field. */
const ONE_OF: Record<string, string[]> = {
  tagPolicy: ['gitCommit', 'sha256', 'envTemplate', 'dateTime', 'customTemplate', 'inputDigest'],
  build: ['local', 'googleCloudBuild', 'cluster'],
};

function overlay(base: unknown, over: unknown, key = ''): unknown {
  if (over === undefined || over === null) return base;
  if (!isObj(over) || !isObj(base)) return over;
  if (key === 'tagPolicy') return over;
  const out: Obj = { ...base };
  const oneOf = ONE_OF[key];
  if (oneOf && oneOf.some((k) => over[k] !== undefined)) for (const k of oneOf) delete out[k];
  for (const [k, v] of Object.entries(over)) out[k] = overlay(base[k], v, k);
  return out;
}

const SECTIONS = ['build', 'test', 'manifests', 'deploy', 'portForward', 'verify', 'customActions', 'resourceSelector'] as const;

class PatchError extends Error {
  constructor(message: string, readonly field: 'path' | 'from' = 'path') {
    super(message);
  }
}

function fromSide<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof PatchError ? new PatchError(err.message, 'from') : err;
  }
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError('must start with /');
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(root: Obj, tokens: string[], create = false): { parent: Obj | unknown[]; last: string } {
  let at: unknown = root;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(at)) at = at[Number(t)];
    else if (isObj(at)) {
      if (at[t] === undefined && create) at[t] = {};
      at = at[t];
    } else at = undefined;
    if (at === undefined) throw new PatchError('does not exist');
  }
  if (!Array.isArray(at) && !isObj(at)) throw new PatchError('does not exist');
  return { parent: at, last: tokens[tokens.length - 1]! };
}

function index(arr: unknown[], last: string, forAdd: boolean): number {
  if (forAdd && last === '-') return arr.length;
  if (!/^\d+$/.test(last)) throw new PatchError('does not exist');
  const i = Number(last);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError('does not exist');
  return i;
}

function get(root: Obj, path: string): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return root;
  const { parent, last } = parentOf(root, tokens);
  const v = Array.isArray(parent) ? parent[index(parent, last, false)] : parent[last];
  if (v === undefined) throw new PatchError('does not exist');
  return v;
}

function remove(root: Obj, path: string): unknown {
  const { parent, last } = parentOf(root, pointer(path));
  if (Array.isArray(parent)) return parent.splice(index(parent, last, false), 1)[0];
  if (!(last in parent)) throw new PatchError('does not exist');
  const v = parent[last];
  delete parent[last];
  return v;
}

function add(root: Obj, path: string, value: unknown): void {
  const { parent, last } = parentOf(root, pointer(path));
  if (Array.isArray(parent)) parent.splice(index(parent, last, true), 0, value);
  else parent[last] = value;
}

/** `value` is the patch's own, cloned by the caller (which notes where its objects are written). */
function applyPatch(root: Obj, p: JsonPatch, value: unknown): void {
  switch (p.op) {
    case 'add':
      return add(root, p.path, value);
    case 'remove':
      remove(root, p.path);
      return;
    case 'replace':
      get(root, p.path);
      remove(root, p.path);
      return add(root, p.path, value);
    case 'move': {
      const from = p.from;
      if (from === undefined) throw new PatchError('is missing', 'from');
      const v = fromSide(() => remove(root, from));
      return add(root, p.path, v);
    }
    case 'copy': {
      const from = p.from;
      if (from === undefined) throw new PatchError('is missing', 'from');
      return add(root, p.path, structuredClone(fromSide(() => get(root, from))));
    }
    case 'test':
      if (JSON.stringify(get(root, p.path)) !== JSON.stringify(value)) throw new PatchError('test failed: the value differs');
  }
}

export interface ApplyResult {
  config?: SkaffoldConfig;
  /** Where each of `config.build.artifacts` is written in the document (a profile's artifact at the profile's place). */
  artifactPlaces?: PathKey[][];
  errors: Problem[];
}

/** Where objects of the config being built are written in the document (objects a patch copies are not noted). */
type Places = WeakMap<object, PathKey[]>;

function note(places: Places, v: unknown, at: PathKey[]): void {
  if (typeof v !== 'object' || v === null) return;
  places.set(v, at);
  if (Array.isArray(v)) v.forEach((x, i) => note(places, x, [...at, i]));
  else for (const [k, x] of Object.entries(v)) note(places, x, [...at, k]);
}

/** `parsed.config` with the named profiles applied in order (names it does not have are skipped). */
export function applyProfiles(parsed: ParsedConfig, names: readonly string[]): ApplyResult {
  const config: Obj = structuredClone(parsed.config) as Obj;
  const errors: Problem[] = [];
  const profiles = parsed.config.profiles ?? [];
  const places: Places = new WeakMap();
  (parsed.config.build?.artifacts ?? []).forEach((_, i) => note(places, (config.build as { artifacts: unknown[] }).artifacts[i], ['build', 'artifacts', i]));
  for (const name of names) {
    const pi = profiles.findIndex((p) => p.name === name);
    const profile = profiles[pi];
    if (!profile) continue;
    for (const section of SECTIONS) {
      if ((profile as Obj)[section] === undefined) continue;
      // a copy: the patches below must not change the parsed profile
      const over = structuredClone((profile as Obj)[section]);
      note(places, over, ['profiles', pi, section]);
      config[section] = overlay(config[section], over, section);
    }
    (profile.patches ?? []).forEach((p, j) => {
      try {
        const value = structuredClone(p.value);
        note(places, value, ['profiles', pi, 'patches', j, 'value']);
        applyPatch(config, p, value);
      } catch (err) {
        if (!(err instanceof PatchError)) throw err;
        const shown = err.field === 'from' ? (p.from ?? '') : p.path;
        errors.push({
          file: parsed.file,
          ...positionOf(parsed.doc, parsed.lc, ['profiles', pi, 'patches', j, err.field]),
          path: `profiles[${pi}].patches[${j}].${err.field}`,
          message: `profile ${name}: patch ${p.op}: ${err.field} ${shown} ${err.message}`,
        });
      }
    });
  }
  delete config.profiles;
  config.profiles = parsed.config.profiles ?? [];
  if (errors.length) return { errors };
  const built = (config.build as { artifacts?: unknown } | undefined)?.artifacts;
  const artifactPlaces = Array.isArray(built) ? built.map((a, i): PathKey[] => (typeof a === 'object' && a !== null && places.get(a)) || ['build', 'artifacts', i]) : [];
  const checked = SkaffoldConfig.safeParse(config);
  if (!checked.success) {
    return {
      errors: checked.error.issues.map((i) => ({
        file: parsed.file,
        path: i.path.map(String).join('.'),
        message: `after profiles ${names.join(', ')}: ${i.message}`,
      })),
    };
  }
  return { config: checked.data, artifactPlaces, errors };
}
