// Loads pipeline files: YAML parsed with node positions kept, then validated through the zod
// schema. Every problem of every file comes back at once with file:line:column; a broken file is
// reported and the others still load.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import type { Problem } from '../core/errors.ts';
import { Pipeline, type LoadedPipeline } from './schema.ts';
import { templateProblems } from './template.ts';
import { dotted, issueProblems, locate, position, sortProblems, type PathKey } from './yaml-problems.ts';

export type { LoadedPipeline };

export interface LoadResult {
  pipelines: LoadedPipeline[];
  errors: Problem[];
}

/** Template strings with variables outside the fixed set, pointed at where they are. */
function templateIssues(file: string, doc: Document, lc: LineCounter): Problem[] {
  const out: Problem[] = [];
  visit(doc, {
    Scalar(_key, node, pathNodes) {
      if (typeof node.value !== 'string' || !/\{\{|\}\}/.test(node.value)) return;
      const problems = templateProblems(node.value);
      if (problems.length === 0) return;
      const keys: PathKey[] = [];
      for (let i = 0; i < pathNodes.length; i++) {
        const parent = pathNodes[i];
        const child = pathNodes[i + 1] ?? node;
        if (isMap(parent)) {
          const pair = parent.items.find((it) => it === child);
          if (pair && isScalar(pair.key)) keys.push(String(pair.key.value));
        } else if (isSeq(parent)) {
          const idx = parent.items.indexOf(child as never);
          if (idx >= 0) keys.push(idx);
        }
      }
      for (const message of problems) out.push({ file, ...position(lc, node), path: dotted(keys), message });
    },
  });
  return out;
}

/** `skaffold:` replaces build, test and deploy (in profiles too): writing both is an error at each. */
function skaffoldExclusions(file: string, doc: Document, lc: LineCounter, raw: unknown): Problem[] {
  if (typeof raw !== 'object' || raw === null || !('skaffold' in raw)) return [];
  const out: Problem[] = [];
  const r = raw as Record<string, unknown>;
  for (const k of ['build', 'test', 'deploy']) {
    if (r[k] !== undefined) out.push({ file, ...position(lc, locate(doc, [k]).key), path: k, message: `${k} comes from the skaffold file: a pipeline with skaffold has no ${k} of its own` });
  }
  const profiles = Array.isArray(r.profiles) ? (r.profiles as unknown[]) : [];
  profiles.forEach((p, i) => {
    if (typeof p !== 'object' || p === null) return;
    for (const k of ['build', 'deploy']) {
      if ((p as Record<string, unknown>)[k] !== undefined) {
        out.push({ file, ...position(lc, locate(doc, ['profiles', i, k]).key), path: dotted(['profiles', i, k]), message: `${k} comes from the skaffold file: use skaffold profiles (a skaffold profile named like this one is activated with it)` });
      }
    }
  });
  return out;
}

/** Parses and validates one file's text. A file may hold several YAML documents. */
export function parsePipelines(text: string, file: string): LoadResult {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const pipelines: LoadedPipeline[] = [];
  const errors: Problem[] = [];
  if (!Array.isArray(docs)) {
    errors.push({ file, line: 1, column: 1, message: 'not a YAML stream' });
    return { pipelines, errors };
  }
  for (const doc of list) {
    const yamlErrors = [...doc.errors];
    if (yamlErrors.length) {
      for (const e of yamlErrors) {
        const pos = lc.linePos(e.pos[0]);
        errors.push({ file, line: pos.line, column: pos.col, message: e.message.split('\n')[0]! });
      }
      continue;
    }
    if (doc.contents === null) continue; // an empty document, e.g. a trailing ---
    const templateErrs = templateIssues(file, doc, lc);
    const raw: unknown = doc.toJS({ maxAliasCount: 100 });
    const parsed = Pipeline.safeParse(raw);
    const docErrors = [...templateErrs, ...skaffoldExclusions(file, doc, lc, raw)];
    if (!parsed.success) for (const issue of parsed.error.issues) docErrors.push(...issueProblems(file, doc, lc, issue));
    if (docErrors.length) {
      errors.push(...docErrors);
      continue;
    }
    if (parsed.success) pipelines.push({ file, pipeline: parsed.data });
  }
  if (pipelines.length === 0 && errors.length === 0) errors.push({ file, line: 1, column: 1, message: 'the file holds no pipeline' });
  return { pipelines, errors: sortProblems(errors) };
}

/**
 * Where the value at `p` of the pipeline named `name` is written in `text` (a pipeline file), for a
 * problem found after the file loaded; {} when that pipeline is not in the text.
 */
export function fieldPosition(text: string, name: string, p: readonly PathKey[]): { line?: number; column?: number } {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc });
  const doc = Array.isArray(docs) ? docs.find((d) => String(d.getIn(['metadata', 'name'])) === name) : undefined;
  return doc ? position(lc, locate(doc, p).node) : {};
}

/** Loads the given files; duplicate metadata.name across them is an error on the later one. */
export async function loadPipelineFiles(files: string[]): Promise<LoadResult> {
  const pipelines: LoadedPipeline[] = [];
  const errors: Problem[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      errors.push({ file, message: `cannot read the file (${code})` });
      continue;
    }
    const res = parsePipelines(text, file);
    errors.push(...res.errors);
    for (const loaded of res.pipelines) {
      const name = loaded.pipeline.metadata.name;
      const first = seen.get(name);
      if (first !== undefined) {
        errors.push({ file, ...fieldPosition(text, name, ['metadata', 'name']), path: 'metadata.name', message: `duplicate pipeline name ${name} (first defined in ${first})` });
        continue;
      }
      seen.set(name, file);
      pipelines.push(loaded);
    }
  }
  return { pipelines, errors };
}

/** Every *.yaml / *.yml file in `dir` (not recursive), sorted. */
export async function pipelineFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

export async function loadPipelines(dir: string): Promise<LoadResult> {
  let files: string[];
  try {
    files = await pipelineFiles(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    return { pipelines: [], errors: [{ file: dir, message: `cannot read the pipelines folder (${code})` }] };
  }
  return loadPipelineFiles(files);
}
