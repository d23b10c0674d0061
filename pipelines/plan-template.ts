// Renders a plan's template strings. Two vocabularies meet here: Slipway's fixed set
// ({{ .BuildNumber }}, {{ .Images.app.Tag }}, {{ .Params.name }}; see template.ts) and Skaffold's Go-template
// variables ({{.IMAGE_REPO_app}}, {{.BUILD_NUMBER}}, environment variables), with Go's
// `default`: {{default "x" .VAR}} and {{.VAR | default "x"}}. Nothing else of Go templates:
// no functions, no pipelines beyond default, never a shell. A variable without a value is an
// error naming it (Go would print "<no value>" into a tag or a value).
import { ValidationError } from '../core/errors.ts';
import { TEMPLATE_VARIABLES, type ImageVars, type ScalarTemplateVar, type TemplateVars } from './template.ts';

export interface PlanTemplateVars {
  slipway: TemplateVars;
  /** Skaffold's variables and the environment, by name. */
  values: Record<string, string | undefined>;
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;
// .NAME, .Images.<image>.<field>, .Params.<name>
const VAR = /^\.([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z0-9_./:-]+?)\.(Repo|Tag|Digest|Ref)|\.([A-Za-z0-9_-]+))?$/;
const STRING = /^"((?:[^"\\]|\\.)*)"$/;

type Expr = { name: string; image?: string; field?: keyof ImageVars; param?: string; fallback?: string };

function parseAction(body: string): Expr | string {
  let m = /^default\s+("(?:[^"\\]|\\.)*")\s+(\S+)$/.exec(body);
  let fallback: string | undefined;
  let ref = body;
  if (m) {
    fallback = JSON.parse(m[1]!) as string;
    ref = m[2]!;
  } else if ((m = /^(\S+)\s*\|\s*default\s+("(?:[^"\\]|\\.)*")$/.exec(body))) {
    ref = m[1]!;
    fallback = JSON.parse(m[2]!) as string;
  } else if (STRING.test(body)) {
    return `a bare string is not a template action: ${body}`;
  }
  const v = VAR.exec(ref);
  if (!v || (v[4] !== undefined && v[1] !== 'Params')) return `unsupported template action {{${body}}} (use {{.NAME}} or {{default "value" .NAME}})`;
  return {
    name: v[1]!,
    ...(v[2] ? { image: v[2], field: v[3] as keyof ImageVars } : {}),
    ...(v[4] !== undefined ? { param: v[4] } : {}),
    ...(fallback !== undefined ? { fallback } : {}),
  };
}

/** What is wrong with the template's syntax; empty when it can be rendered. */
export function planTemplateProblems(template: string): string[] {
  const problems: string[] = [];
  const stripped = template.replace(ACTION, (_m, body: string) => {
    const e = parseAction(body);
    if (typeof e === 'string') problems.push(e);
    return '';
  });
  if (/\{\{|\}\}/.test(stripped)) problems.push('malformed template: unbalanced {{ }}');
  return problems;
}

function lookup(e: Expr, vars: PlanTemplateVars): string | undefined {
  if (e.param !== undefined) return vars.slipway.Params?.[e.param];
  if (e.image !== undefined) {
    if (e.name !== 'Images') return undefined;
    return vars.slipway.Images?.[e.image]?.[e.field!];
  }
  if ((TEMPLATE_VARIABLES as readonly string[]).includes(e.name) && e.name !== 'Images' && e.name !== 'Params') {
    const v = vars.slipway[e.name as ScalarTemplateVar];
    if (v !== undefined) return v;
  }
  return vars.values[e.name];
}

export function renderPlanTemplate(template: string, vars: PlanTemplateVars): string {
  const problems = planTemplateProblems(template);
  if (problems.length) throw new ValidationError(`template ${JSON.stringify(template)}: ${problems.join('; ')}`);
  return template.replace(ACTION, (_m, body: string) => {
    const e = parseAction(body) as Expr;
    const value = lookup(e, vars);
    if (value !== undefined && value !== '') return value;
    if (e.fallback !== undefined) return e.fallback;
    if (value !== undefined) return value;
    const name = e.image !== undefined ? `.Images.${e.image}.${e.field}` : e.param !== undefined ? `.Params.${e.param}` : `.${e.name}`;
    throw new ValidationError(`template ${JSON.stringify(template)}: ${name} has no value in this build`);
  });
}
