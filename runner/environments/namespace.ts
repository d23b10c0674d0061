// The namespace of a branch's environment: the pipeline's environment.namespace template made a
// valid DNS-1123 label (lowercase letters, digits, dashes; at most 63 characters).
//
// Rule: render the template, lowercase it, turn every other character into '-', collapse and trim
// dashes. When that changed anything (case included), or the name had to be cut, a
// suffix `-<8 hex of sha256(rendered name)>` is appended. The rendered name carries the raw branch,
// so `feat/a` (→ `x-feat-a-1a2b3c4d`) and `feat-a` (→ `x-feat-a`) never collide, and neither do two
// long branches that share their first 54 characters. Names that need no change keep no suffix, so
// a fixed namespace such as `bb-production` stays exactly that.
import { createHash } from 'node:crypto';
import { render, type TemplateVars } from '../../pipelines/template.ts';
import type { Pipeline } from '../../pipelines/schema.ts';

export const MAX_LABEL = 63;
const HASH_LEN = 8;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDns1123Label(name: string): boolean {
  return name.length <= MAX_LABEL && DNS1123_LABEL.test(name);
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, HASH_LEN);
}

/** `raw` made a DNS-1123 label, with a hash suffix of `raw` when it had to be changed or cut. */
export function toDns1123Label(raw: string): string {
  if (isDns1123Label(raw)) return raw;
  const clean = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  const room = MAX_LABEL - HASH_LEN - 1;
  const base = clean.slice(0, room).replace(/-+$/, '') || 'env';
  return `${base}-${shortHash(raw)}`;
}

/** The namespace of `branch` for this (effective) pipeline. */
export function environmentNamespace(pipeline: Pipeline, branch: string, extra: TemplateVars = {}): string {
  const rendered = render(pipeline.environment.namespace, { ...extra, Pipeline: pipeline.metadata.name, Branch: branch });
  return toDns1123Label(rendered);
}

/** The environment's id, as the API and the records use it: `<pipeline>.<namespace>`. */
export function environmentId(pipeline: string, namespace: string): string {
  return `${pipeline}.${namespace}`;
}

/**
 * A Kubernetes label value (at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends)
 * standing for `value`; cut with a hash suffix when too long.
 */
export function toLabelValue(value: string): string {
  const clean = value.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (clean === value && value.length <= MAX_LABEL) return value;
  const base = clean.slice(0, MAX_LABEL - HASH_LEN - 1).replace(/[^A-Za-z0-9]+$/, '') || 'x';
  return `${base}-${shortHash(value)}`;
}
