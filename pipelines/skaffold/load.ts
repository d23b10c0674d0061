// Reads a repository's skaffold.yaml (as checked out) into a Plan: its documents, the configs
// they require by local path (required first), the modules the pipeline selects, and the
// active profiles of each config. Every error at once, with file:line:column; unsupported
// fields as warnings.
import { readFile as fsReadFile } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../../core/errors.ts';
import type { Plan } from '../plan.ts';
import { sortProblems } from '../yaml-problems.ts';
import { parseSkaffold, type ParsedConfig } from './parse.ts';
import { planFromSkaffold, type ResolvedConfig } from './plan.ts';
import { applyProfiles, autoActivated, type ActivationContext } from './profiles.ts';

export interface SkaffoldSource {
  /** Relative to the repository; default skaffold.yaml. */
  path: string;
  /** Profiles to activate besides those that activate themselves. */
  profiles: string[];
  /** metadata.name of the configs to run (with what they require); empty = every config of the file. */
  module: string[];
}

export interface LoadSkaffoldOptions {
  /** The checkout. */
  root: string;
  source: SkaffoldSource;
  activation: ActivationContext;
  /** The branch's Slipway profile: a skaffold profile of that name is activated too. */
  branchProfile?: string;
  readFile?: (file: string) => Promise<string>;
}

export interface LoadSkaffoldResult {
  plan?: Plan;
  /** The config files read, or that could not be (relative to the repository): the root file and those it requires by path. */
  files: string[];
  errors: Problem[];
  warnings: Problem[];
}

interface Node {
  parsed: ParsedConfig;
  /** The file's folder relative to the repository. */
  dir: string;
  /** Profiles activated by those requiring it (requires[].activeProfiles). */
  activatedBy: Set<string>;
}

const key = (p: ParsedConfig) => `${p.file}#${p.index}`;

/** Loads every config reachable from the root file. */
async function readAll(opts: LoadSkaffoldOptions, errors: Problem[], warnings: Problem[]): Promise<Map<string, ParsedConfig[]>> {
  const read = opts.readFile ?? ((f: string) => fsReadFile(f, 'utf8'));
  const files = new Map<string, ParsedConfig[]>();
  const queue = [path.posix.normalize(opts.source.path)];
  while (queue.length) {
    const rel = queue.shift()!;
    if (files.has(rel)) continue;
    files.set(rel, []);
    if (rel.startsWith('../') || path.isAbsolute(rel)) {
      errors.push({ file: rel, message: 'a skaffold config must be inside the repository' });
      continue;
    }
    let text: string;
    try {
      text = await read(path.join(opts.root, rel));
    } catch (err) {
      errors.push({ file: rel, message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})` });
      continue;
    }
    const res = parseSkaffold(text, rel);
    errors.push(...res.errors);
    warnings.push(...res.warnings);
    files.set(rel, res.configs);
    for (const c of res.configs) for (const r of c.config.requires ?? []) if (r.path) queue.push(requiredFile(c.file, r.path));
  }
  return files;
}

/** A requires[].path: a file, or a folder holding skaffold.yaml; relative to the requiring file. */
function requiredFile(from: string, p: string): string {
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), p));
  return /\.ya?ml$/.test(joined) ? joined : path.posix.join(joined, 'skaffold.yaml');
}

export async function loadSkaffold(opts: LoadSkaffoldOptions): Promise<LoadSkaffoldResult> {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const files = await readAll(opts, errors, warnings);
  const read = [...files.keys()];
  if (errors.length) return { files: read, errors: sortProblems(errors), warnings: sortProblems(warnings) };

  const all = [...files.values()].flat();
  const named = new Map<string, ParsedConfig>();
  for (const c of all) {
    if (!c.name) continue;
    const prev = named.get(c.name);
    if (prev && key(prev) !== key(c)) errors.push({ file: c.file, path: 'metadata.name', message: `config name ${c.name} is used twice (also in ${prev.file})` });
    named.set(c.name, c);
  }
  const rootConfigs = files.get(path.posix.normalize(opts.source.path)) ?? [];
  let roots = rootConfigs;
  if (opts.source.module.length) {
    roots = [];
    for (const m of opts.source.module) {
      const c = named.get(m);
      if (c) roots.push(c);
      else errors.push({ file: opts.source.path, message: `module ${m}: no config has metadata.name ${m}` });
    }
  }

  // depth first, required configs before the configs requiring them
  const order: Node[] = [];
  const nodes = new Map<string, Node>();
  const visiting = new Set<string>();
  const visit = (c: ParsedConfig, activatedBy: string[], trail: string[]) => {
    const k = key(c);
    if (visiting.has(k)) {
      errors.push({ file: c.file, path: 'requires', message: `configs require each other in a cycle: ${[...trail, c.name ?? c.file].join(' → ')}` });
      return;
    }
    const existing = nodes.get(k);
    if (existing) {
      for (const p of activatedBy) existing.activatedBy.add(p);
      return;
    }
    visiting.add(k);
    const parentActive = activeNames(c, opts, activatedBy);
    for (const r of c.config.requires ?? []) {
      if (!r.path) continue; // a remote config: not read; the plan lists it (remoteConfigs) and the build stage refuses the plan
      const targets = files.get(requiredFile(c.file, r.path)) ?? [];
      const picked = r.configs?.length ? targets.filter((t) => t.name && r.configs!.includes(t.name)) : targets;
      for (const name of r.configs ?? []) if (!targets.some((t) => t.name === name)) errors.push({ file: c.file, path: 'requires', message: `no config named ${name} in ${requiredFile(c.file, r.path)}` });
      const passed = (r.activeProfiles ?? []).filter((a) => !a.activatedBy?.length || a.activatedBy.some((b) => parentActive.includes(b))).map((a) => a.name);
      for (const t of picked) visit(t, passed, [...trail, c.name ?? c.file]);
    }
    visiting.delete(k);
    const node: Node = { parsed: c, dir: path.posix.dirname(c.file) === '.' ? '' : path.posix.dirname(c.file), activatedBy: new Set(activatedBy) };
    nodes.set(k, node);
    order.push(node);
  };
  for (const r of roots) visit(r, [], []);

  const requested = [...opts.source.profiles];
  for (const p of requested) {
    if (!order.some((n) => n.parsed.config.profiles?.some((x) => x.name === p))) errors.push({ file: opts.source.path, message: `profile ${p} is not defined in any skaffold config` });
  }
  const resolved: ResolvedConfig[] = [];
  for (const n of order) {
    const names = activeNames(n.parsed, opts, [...n.activatedBy]);
    const applied = applyProfiles(n.parsed, names);
    errors.push(...applied.errors);
    if (applied.config) resolved.push({ parsed: n.parsed, config: applied.config, dir: n.dir, profiles: names, ...(applied.artifactPlaces ? { artifactPlaces: applied.artifactPlaces } : {}) });
  }
  if (errors.length) return { files: read, errors: sortProblems(errors), warnings: sortProblems(warnings) };
  const { plan, errors: planErrors } = planFromSkaffold(resolved, sortProblems(warnings));
  if (planErrors.length) return { files: read, errors: planErrors, warnings: plan.warnings };
  return { plan, files: read, errors: [], warnings: plan.warnings };
}

/** The profiles of `c` that apply: self-activated ones in their order, then the requested ones. */
function activeNames(c: ParsedConfig, opts: LoadSkaffoldOptions, activatedBy: string[]): string[] {
  const defined = new Set((c.config.profiles ?? []).map((p) => p.name));
  const wanted = [...opts.source.profiles, ...(opts.branchProfile ? [opts.branchProfile] : []), ...activatedBy];
  const names = [...autoActivated(c.config, opts.activation), ...wanted.filter((w) => defined.has(w))];
  return [...new Set(names)];
}
