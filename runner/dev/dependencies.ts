// What `slipway dev` watches: the files a plan depends on, as Skaffold's dev loop watches them.
// A change to one of them starts the next iteration; a change anywhere else (a file a test
// writes outside the contexts, `.slipway/`, `.git/`) starts nothing.
//
// - an artifact: the files of its context the builder sees (its .containerignore or .dockerignore
//   applied, as the build cache's input digest does: input-digest.ts), the ignore file itself, and
//   its Dockerfile (also outside the context, or ignored); a custom build: its `dependencies.paths`
//   less `dependencies.ignore`, relative to its context (a dependency `dockerfile` or `command`,
//   or none: the whole context);
// - a custom test: its `dependencies` likewise, relative to the test's context; structure tests:
//   their config files; a test without dependencies runs again when an artifact is rebuilt;
// - the manifests: rawYaml globs, kustomize folders with the local folders and files their
//   kustomizations name (resources, bases, components, patches, generators...), helm charts'
//   folders, values files and setFiles.
// The files the plan is read from (skaffold.yaml and the configs it requires) are the target's.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { parse } from 'yaml';
import type { Plan, PlanDependencies } from '../../pipelines/plan.ts';
import { contextIgnore, IGNORE_FILES, ignorePatterns } from '../build-cache/input-digest.ts';

/** Never watched: Slipway's own folder, git's, and installed packages. */
export const NEVER_WATCHED = /(^|\/)(\.git|node_modules|\.slipway)(\/|$)/;

/** What of a plan depends on a file. */
export interface PlanDependencyMap {
  /** What depends on `file` (relative to the repository, '/'-separated), e.g. `artifact app`; undefined: nothing. */
  of(file: string): string | undefined;
}

interface Rule {
  what: string;
  matches(file: string): boolean;
}

/** A path relative to the repository, normalized; '' for its root. */
function norm(p: string): string {
  const n = path.posix.normalize(p.split(path.sep).join('/')).replace(/\/+$/, '');
  return n === '.' ? '' : n.replace(/^\.\//, '');
}

/** `file` relative to `dir`, or undefined when it is not under it. */
function within(dir: string, file: string): string | undefined {
  if (dir === '') return file;
  return file.startsWith(`${dir}/`) ? file.slice(dir.length + 1) : undefined;
}

/** A path written with a template ({{ .Branch }}): the folder before the template, as nothing more is known. */
function untemplated(p: string): { dir: string } | { file: string } {
  const i = p.indexOf('{{');
  return i < 0 ? { file: norm(p) } : { dir: norm(path.posix.dirname(`${p.slice(0, i)}x`)) };
}

const fileRule = (what: string, p: string): Rule => {
  const u = untemplated(p);
  return 'file' in u ? { what, matches: (f) => f === u.file } : dirRule(what, u.dir);
};
const dirRule = (what: string, dir: string): Rule => ({ what, matches: (f) => f === dir || within(dir, f) !== undefined });

/** Skaffold's path globs: a path names that file or folder, and everything under a folder. */
function globs(patterns: readonly string[]): (rel: string) => boolean {
  if (patterns.length === 0) return () => false;
  return picomatch(
    patterns.flatMap((p) => [norm(p), `${norm(p)}/**`]),
    { dot: true },
  );
}

function dependencyRule(what: string, dir: string, d: PlanDependencies): Rule {
  const include = d.paths ? globs(d.paths) : () => true;
  const exclude = globs(d.ignore);
  return {
    what,
    matches: (f) => {
      const rel = within(dir, f);
      return rel !== undefined && rel !== '' && include(rel) && !exclude(rel);
    },
  };
}

/** The files of the context the builder sees, and the ignore file deciding which. */
async function contextRule(root: string, what: string, context: string): Promise<Rule> {
  const ignored = contextIgnore(await ignorePatterns(path.join(root, context)));
  const ignoreFiles: readonly string[] = IGNORE_FILES;
  return {
    what,
    matches: (f) => {
      const rel = within(context, f);
      return rel !== undefined && rel !== '' && (ignoreFiles.includes(rel) || !ignored(rel));
    },
  };
}

const KUSTOMIZATIONS = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const PATH_LISTS = ['resources', 'bases', 'components', 'crds', 'configurations', 'generators', 'transformers', 'validators', 'patchesStrategicMerge'];
const PATH_OBJECTS = ['patches', 'patchesJson6902', 'replacements'];
const GENERATORS = ['configMapGenerator', 'secretGenerator', 'helmChartInflationGenerator'];

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
const objects = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object') : []);

/** The local paths a kustomization names (remote ones and inline patches left out). */
function kustomizationRefs(doc: Record<string, unknown>): string[] {
  const refs = PATH_LISTS.flatMap((k) => strings(doc[k]));
  for (const k of PATH_OBJECTS) refs.push(...objects(doc[k]).flatMap((o) => strings(o.path)));
  for (const k of GENERATORS) {
    for (const g of objects(doc[k])) refs.push(...[...strings(g.files), ...strings(g.envs), ...strings(g.env)].map((f) => f.slice(f.indexOf('=') + 1)));
  }
  const openapi = doc.openapi;
  if (openapi && typeof openapi === 'object') refs.push(...strings((openapi as Record<string, unknown>).path));
  return refs.filter((r) => !r.includes('\n') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(r) && !r.includes('?ref='));
}

/** The folder of a kustomization and the local folders and files it names, recursively. */
async function kustomizeInputs(root: string, dir: string, out: { dirs: Set<string>; files: Set<string> }): Promise<void> {
  if (out.dirs.has(dir)) return;
  out.dirs.add(dir);
  let text: string | undefined;
  for (const name of KUSTOMIZATIONS) {
    text = await readFile(path.join(root, dir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) break;
  }
  if (text === undefined) return;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return; // kubectl kustomize says what is wrong with it; the folder is watched
  }
  if (!doc || typeof doc !== 'object') return;
  for (const ref of kustomizationRefs(doc as Record<string, unknown>)) {
    const p = norm(path.posix.join(dir, ref));
    if (p === '..' || p.startsWith('../')) continue;
    const st = await stat(path.join(root, p)).catch(() => undefined);
    if (st?.isDirectory()) await kustomizeInputs(root, p, out);
    else if (st) out.files.add(p);
  }
}

async function planRules(root: string, plan: Plan): Promise<Rule[]> {
  const rules: Rule[] = [];
  for (const a of plan.build.artifacts) {
    const what = `artifact ${a.image}`;
    const context = norm(a.context);
    if (a.builder.kind === 'custom') {
      rules.push(dependencyRule(what, context, a.builder.dependencies));
      continue;
    }
    rules.push(await contextRule(root, what, context));
    if (a.builder.kind === 'dockerfile') rules.push(fileRule(what, path.posix.join(context, a.builder.dockerfile)));
  }
  for (const t of plan.tests) {
    const what = `test ${t.name}`;
    if (t.kind === 'command' && t.dependencies) rules.push(dependencyRule(what, norm(t.workdir), t.dependencies));
    if (t.kind === 'structure') for (const f of t.files) rules.push(fileRule(what, f));
  }
  for (const d of plan.deploys) {
    if (d.kind === 'helm') {
      for (const r of d.releases) {
        const what = `helm release ${r.name}`;
        rules.push(dirRule(what, norm(r.chartPath)));
        for (const f of [...r.valuesFiles, ...Object.values(r.setFiles)]) rules.push(fileRule(what, f));
      }
    } else if (d.kind === 'kubectl') {
      for (const s of d.sources) {
        if (s.kind === 'rawYaml') {
          for (const g of s.globs) {
            const match = picomatch(norm(g), { dot: false }); // as the deploy reads them (render.ts)
            rules.push({ what: `manifests ${g}`, matches: (f) => match(f) });
          }
        } else {
          const inputs = { dirs: new Set<string>(), files: new Set<string>() };
          await kustomizeInputs(root, norm(s.path), inputs);
          const what = `kustomize ${s.path}`;
          for (const dir of inputs.dirs) rules.push(dirRule(what, dir));
          for (const f of inputs.files) rules.push(fileRule(what, f));
        }
      }
    }
  }
  return rules;
}

/** What of `plan` depends on each file of the repository at `root` (read now: the ignore files, the kustomizations). */
export async function planDependencies(root: string, plan: Plan): Promise<PlanDependencyMap> {
  const rules = await planRules(root, plan);
  return {
    of(file) {
      const f = norm(file);
      if (f === '' || NEVER_WATCHED.test(f)) return undefined;
      return rules.find((r) => r.matches(f))?.what;
    },
  };
}
