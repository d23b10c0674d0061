// Loads pipeline files: YAML parsed with node positions kept, then validated through the zod
// schema. Every problem of every file comes back at once with file:line:column; a broken file is
// reported and the others still load.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import type { Problem } from '../core/errors.ts';
import { Pipeline, type LoadedPipeline } from './schema.ts';
import { templateProblems } from './template.ts';

export type { LoadedPipeline };

export interface LoadResult {
  pipelines: LoadedPipeline[];
  errors: Problem[];
}

type PathKey = string | number;

/** The YAML node at `p`, or the nearest ancestor that exists, and the key node of the last step. */
function locate(doc: Document, p: readonly PathKey[]): { node: Node | null; key: Node | null; found: boolean } {
  let node: Node | null = doc.contents;
  let key: Node | null = null;
  for (const step of p) {
    if (isMap(node)) {
      const pair = node.items.find((i) => isScalar(i.key) && String(i.key.value) === String(step));
      if (!pair) return { node, key, found: false };
      key = (pair.key as Node | null) ?? null;
      node = (pair.value as Node | null) ?? key;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as Node | undefined;
      if (!item) return { node, key, found: false };
      key = null;
      node = item;
    } else {
      return { node, key, found: false };
    }
  }
  return { node, key, found: true };
}

function position(lc: LineCounter, node: Node | null): { line?: number; column?: number } {
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 1, column: 1 };
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function dotted(p: readonly PathKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union') {
    // Pick the branch with the fewest complaints: its messages say what was most likely meant.
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
    if (best?.length) return best.map((i) => (i.path.length ? `${dotted(i.path as PathKey[])}: ${i.message}` : i.message)).join('; ');
  }
  return issue.message;
}

function issueProblems(file: string, doc: Document, lc: LineCounter, issue: z.core.$ZodIssue): Problem[] {
  const p = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    // Point at each unknown key itself.
    return issue.keys.map((k) => {
      const { key, node } = locate(doc, [...p, k]);
      return { file, ...position(lc, key ?? node), path: dotted([...p, k]), message: 'unknown key' };
    });
  }
  const { node, key, found } = locate(doc, p);
  const last = p[p.length - 1];
  if (!found && issue.code === 'invalid_type' && last !== undefined) {
    return [{ file, ...position(lc, node), path: dotted(p), message: `${String(last)} is required` }];
  }
  const at = found && isScalar(node) ? node : found ? (key ?? node) : node;
  return [{ file, ...position(lc, at), path: dotted(p), message: issueMessage(issue) }];
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
    const parsed = Pipeline.safeParse(doc.toJS({ maxAliasCount: 100 }));
    const docErrors = [...templateErrs];
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

function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
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
        const lc = new LineCounter();
        const docs = parseAllDocuments(text, { lineCounter: lc });
        const doc = Array.isArray(docs) ? docs.find((d) => String(d.getIn(['metadata', 'name'])) === name) : undefined;
        const pos = doc ? position(lc, locate(doc, ['metadata', 'name']).node) : {};
        errors.push({ file, ...pos, path: 'metadata.name', message: `duplicate pipeline name ${name} (first defined in ${first})` });
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
