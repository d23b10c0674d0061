// `file:line` of a place in a parsed skaffold config, for messages about it after the fact.
import { positionOf, type PathKey } from '../yaml-problems.ts';
import type { ParsedConfig } from './parse.ts';

export function formatProblemPlace(parsed: ParsedConfig, at: PathKey[]): string {
  const pos = positionOf(parsed.doc, parsed.lc, at);
  return `${parsed.file}:${pos.line ?? 1}`;
}
