// Reads the documents of one skaffold.yaml: each is checked against the schema of its own
// apiVersion (unknown keys are errors, as in Skaffold), warned about where it uses what Slipway
// does not run, and upgraded to the newest layout. Every problem has file:line:column.
import { isMap, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { Problem } from '../../core/errors.ts';
import { dotted, issueProblems, keyPositionOf, positionOf, sortProblems, type PathKey } from '../yaml-problems.ts';
import { matchPaths, withProfiles } from './paths.ts';
import { configSchema, SkaffoldConfig } from './schema.ts';
import { unsupportedWarnings } from './unsupported.ts';
import { upgradeConfig } from './upgrade.ts';
import { FIELD_VERSIONS, fieldVersionProblem, isV1Layout, LATEST, versionIndex } from './versions.ts';

export interface ParsedConfig {
  /** The file, as given (relative to the repository for messages). */
  file: string;
  /** Index of the document in its file. */
  index: number;
  /** metadata.name, when it has one. */
  name?: string;
  /** The apiVersion the file says. */
  apiVersion: string;
  /** The document upgraded to the newest layout. */
  config: SkaffoldConfig;
  /** The parsed YAML, to point at places after the fact (profiles, patches). */
  doc: Document;
  lc: LineCounter;
}

export interface ParseResult {
  configs: ParsedConfig[];
  errors: Problem[];
  warnings: Problem[];
}

function versionProblems(file: string, doc: Document, lc: LineCounter, value: unknown, apiVersion: string): Problem[] {
  const out: Problem[] = [];
  for (const f of FIELD_VERSIONS) {
    for (const pattern of withProfiles(f.path)) {
      for (const at of matchPaths(value, pattern)) {
        const message = fieldVersionProblem(f, apiVersion);
        if (message) out.push({ file, ...keyPositionOf(doc, lc, at), path: dotted(at), message });
      }
    }
  }
  return sortProblems(out);
}

/** Skaffold drops top-level keys starting with '.' (they hold YAML anchors). */
function withoutDotKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('.')));
}

export function parseSkaffold(text: string, file: string): ParseResult {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const result: ParseResult = { configs: [], errors: [], warnings: [] };
  if (!Array.isArray(docs)) {
    result.errors.push({ file, line: 1, column: 1, message: 'not a YAML stream' });
    return result;
  }
  docs.forEach((doc, index) => {
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const pos = lc.linePos(e.pos[0]);
        result.errors.push({ file, line: pos.line, column: pos.col, message: e.message.split('\n')[0]! });
      }
      return;
    }
    if (doc.contents === null) return;
    const where = (p: PathKey[]) => ({ file, ...positionOf(doc, lc, p) });
    if (!isMap(doc.contents)) {
      result.errors.push({ ...where([]), message: 'a skaffold config must be a mapping' });
      return;
    }
    const raw = withoutDotKeys(doc.toJS({ maxAliasCount: 100 }));
    const apiNode = doc.get('apiVersion', true);
    const apiVersion = isScalar(apiNode) ? String(apiNode.value) : undefined;
    if (apiVersion === undefined) {
      result.errors.push({ ...where([]), path: 'apiVersion', message: 'apiVersion is required (e.g. skaffold/v4beta14)' });
      return;
    }
    if (versionIndex(apiVersion) < 0) {
      result.errors.push({
        ...where(['apiVersion']),
        path: 'apiVersion',
        message: `unsupported apiVersion ${JSON.stringify(apiVersion)}: Slipway reads skaffold/v1beta11 to ${LATEST}`,
      });
      return;
    }
    const parsed = configSchema(isV1Layout(apiVersion) ? 'v1' : 'v3').safeParse(raw);
    const problems = versionProblems(file, doc, lc, raw, apiVersion);
    if (!parsed.success) for (const issue of parsed.error.issues) problems.push(...issueProblems(file, doc, lc, issue));
    if (problems.length) {
      result.errors.push(...problems);
      return;
    }
    result.warnings.push(...unsupportedWarnings(file, doc, lc, raw));
    const upgraded = SkaffoldConfig.safeParse(upgradeConfig(parsed.data as Record<string, unknown>, apiVersion));
    if (!upgraded.success) {
      // the upgrade only moves what the older schema accepted: this would be a bug of upgrade.ts
      result.errors.push({ ...where([]), message: `cannot upgrade from ${apiVersion}: ${upgraded.error.issues.map((i) => `${dotted(i.path as PathKey[])}: ${i.message}`).join('; ')}` });
      return;
    }
    const name = upgraded.data.metadata?.name;
    result.configs.push({ file, index, ...(name ? { name } : {}), apiVersion, config: upgraded.data, doc, lc });
  });
  if (result.configs.length === 0 && result.errors.length === 0) result.errors.push({ file, line: 1, column: 1, message: 'the file holds no skaffold config' });
  return result;
}
