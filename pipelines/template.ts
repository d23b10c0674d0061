// Templates are a fixed set of variables substituted into already-parsed string values:
// `{{ .BuildNumber }}`, `{{ .Images.app.Tag }}`. No expressions, no functions, never a shell.
import { ValidationError } from '../core/errors.ts';

export interface ImageVars {
  Repo: string;
  Tag: string;
  Digest: string;
  Ref: string;
}

export interface TemplateVars {
  BuildNumber?: string;
  Branch?: string;
  Tag?: string;
  Sha?: string;
  ShortSha?: string;
  Pipeline?: string;
  Namespace?: string;
  /** Keyed by the artifact's short name (last path segment of the image) and by its full image name. */
  Images?: Record<string, ImageVars>;
  /** A manual trigger's params: `{{ .Params.name }}`. */
  Params?: Record<string, string>;
}

export const TEMPLATE_VARIABLES = ['BuildNumber', 'Branch', 'Tag', 'Sha', 'ShortSha', 'Pipeline', 'Namespace', 'Images', 'Params'] as const;

/** The variables that are one string (not Images, not Params). */
export type ScalarTemplateVar = Exclude<keyof TemplateVars, 'Images' | 'Params'>;

// {{ .Name }}, {{ .Images.<image>.<field> }}, {{ .Params.<name> }}
const PATTERN = /\{\{\s*\.([A-Za-z]+)(?:\.([A-Za-z0-9_./:-]+?)\.(Repo|Tag|Digest|Ref)|\.([A-Za-z0-9_-]+))?\s*\}\}/g;

/** Names the template uses that are not in the fixed set; empty when the template is fine. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  const stripped = template.replace(PATTERN, (_m, name: string, image: string | undefined, _field: string | undefined, key: string | undefined) => {
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) problems.push(`unknown template variable .${name}`);
    else if (name === 'Images' && !image) problems.push('use .Images.<name>.Repo, .Tag, .Digest or .Ref');
    else if (name === 'Params' && !key) problems.push('use .Params.<name>');
    else if (name !== 'Images' && name !== 'Params' && (image || key)) problems.push(`.${name} has no fields`);
    return '';
  });
  if (/\{\{|\}\}/.test(stripped)) problems.push('malformed template: expected {{ .Variable }}');
  return problems;
}

export function render(template: string, vars: TemplateVars): string {
  const problems = templateProblems(template);
  if (problems.length) throw new ValidationError(`template ${JSON.stringify(template)}: ${problems.join('; ')}`);
  return template.replace(
    PATTERN,
    (_m, name: string, image: string | undefined, field: keyof ImageVars | undefined, key: string | undefined) => {
      if (name === 'Images') {
        const img = vars.Images?.[image!];
        if (!img) throw new ValidationError(`template ${JSON.stringify(template)}: no image named ${image}`);
        return img[field!];
      }
      if (name === 'Params') {
        const value = vars.Params?.[key!];
        if (value === undefined) throw new ValidationError(`template ${JSON.stringify(template)}: no param named ${key} in this build`);
        return value;
      }
      const value = vars[name as ScalarTemplateVar];
      if (value === undefined) throw new ValidationError(`template ${JSON.stringify(template)}: .${name} has no value in this build`);
      return value;
    },
  );
}
