// Where a YAML value is: zod issue paths located in the parsed document, as file:line:column
// problems. Shared by the pipeline loader and the skaffold.yaml reader.
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import type { Problem } from '../core/errors.ts';

export type PathKey = string | number;

/** The YAML node at `p`, or the nearest ancestor that exists, and the key node of the last step. */
export function locate(doc: Document, p: readonly PathKey[]): { node: Node | null; key: Node | null; found: boolean } {
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

export function position(lc: LineCounter, node: Node | null): { line?: number; column?: number } {
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 1, column: 1 };
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** Where `p` is in the document: the value when it exists (its key for maps and lists), else the nearest ancestor. */
export function positionOf(doc: Document, lc: LineCounter, p: readonly PathKey[]): { line?: number; column?: number } {
  const { node, key, found } = locate(doc, p);
  return position(lc, found && isScalar(node) ? node : found ? (key ?? node) : node);
}

/** Where the key of `p` is written (an unknown key is pointed at by its key, whatever its value). */
export function keyPositionOf(doc: Document, lc: LineCounter, p: readonly PathKey[]): { line?: number; column?: number } {
  const { node, key } = locate(doc, p);
  return position(lc, key ?? node);
}

export function dotted(p: readonly PathKey[]): string {
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

/** One zod issue as problems pointed at the offending YAML (each unknown key at the key itself). */
export function issueProblems(file: string, doc: Document, lc: LineCounter, issue: z.core.$ZodIssue, prefix: readonly PathKey[] = []): Problem[] {
  const p = [...prefix, ...issue.path.filter((k): k is PathKey => typeof k !== 'symbol')];
  if (issue.code === 'unrecognized_keys') {
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

export function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
