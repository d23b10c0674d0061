// `slipway validate skaffold.yaml`: the file and the configs it requires, as they load with no
// profile and with each of its profiles in turn (a patch path that does not exist shows only
// when its profile applies; so does a profile's local.push: false under a deploy, which a build
// warns about too). Errors and warnings each once, with file:line:column.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatProblem, type Problem } from '../../core/errors.ts';
import { unpushedDeployWarning, type Plan } from '../plan.ts';
import { loadSkaffold } from './load.ts';
import { parseSkaffold, type ParsedConfig } from './parse.ts';
import { positionOf } from '../yaml-problems.ts';

/** A file is a skaffold config when a document of it says `apiVersion: skaffold/...`. */
export function looksLikeSkaffold(text: string): boolean {
  return /^apiVersion:\s*["']?skaffold\//m.test(text);
}

export async function validateSkaffoldFile(file: string): Promise<{ errors: Problem[]; warnings: Problem[] }> {
  const root = path.dirname(file);
  const rel = path.basename(file);
  const activation = { env: {}, kubeContext: undefined, command: 'run' };
  const base = await loadSkaffold({ root, source: { path: rel, profiles: [], module: [] }, activation });
  const errors = [...base.errors];
  const warnings = [...base.warnings];
  if (base.errors.length === 0) {
    const parsed = parseSkaffold(await readFile(file, 'utf8'), rel);
    const unpushed = (plan: Plan | undefined, profile?: string) => {
      const w = plan && unpushedDeployWarning(plan);
      if (w) warnings.push({ ...pushPlace(parsed.configs, profile), ...w });
    };
    unpushed(base.plan);
    const names = new Set(parsed.configs.flatMap((c) => (c.config.profiles ?? []).map((p) => p.name)));
    for (const name of names) {
      const res = await loadSkaffold({ root, source: { path: rel, profiles: [name], module: [] }, activation });
      errors.push(...res.errors);
      unpushed(res.plan, name);
    }
  }
  const once = (list: Problem[]) => [...new Map(list.map((p) => [formatProblem(p), p])).values()];
  const inRoot = (p: Problem): Problem => (p.file ? { ...p, file: path.join(root, p.file) } : p);
  return { errors: once(errors).map(inRoot), warnings: once(warnings).map(inRoot) };
}

/** Where local.push: false is written: the profile's own build.local.push when it sets it (else the profile), or the config's. */
function pushPlace(configs: ParsedConfig[], profile: string | undefined): Omit<Problem, 'message'> {
  for (const c of configs) {
    const i = (c.config.profiles ?? []).findIndex((p) => p.name === profile);
    const own = i >= 0 ? c.config.profiles?.[i]?.build?.local?.push : undefined;
    if (i >= 0 && own !== undefined) return { file: c.file, ...positionOf(c.doc, c.lc, ['profiles', i, 'build', 'local', 'push']) };
    if (c.config.build?.local?.push === false) return { file: c.file, ...positionOf(c.doc, c.lc, ['build', 'local', 'push']) };
    if (i >= 0) return { file: c.file, ...positionOf(c.doc, c.lc, ['profiles', i]) };
  }
  return { file: configs[0]?.file ?? '' };
}
