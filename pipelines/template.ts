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
}

export const TEMPLATE_VARIABLES = ['BuildNumber', 'Branch', 'Tag', 'Sha', 'ShortSha', 'Pipeline', 'Namespace', 'Images'] as const;

const PATTERN = /\{\{\s*\.([A-Za-z]+)(?:\.([A-Za-z0-9_./:-]+?)\.(Repo|Tag|Digest|Ref))?\s*\}\}/g;

/** Names the template uses that are not in the fixed set; empty when the template is fine. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  const stripped = template.replace(PATTERN, (_m, name: string, image: string | undefined) => {
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) problems.push(`unknown template variable .${name}`);
    else if (name === 'Images' && !image) problems.push('use .Images.<name>.Repo, .Tag, .Digest or .Ref');
    else if (name !== 'Images' && image) problems.push(`.${name} has no fields`);
    return '';
  });
  if (/\{\{|\}\}/.test(stripped)) problems.push('malformed template: expected {{ .Variable }}');
  return problems;
}

export function render(template: string, vars: TemplateVars): string {
  const problems = templateProblems(template);
  if (problems.length) throw new ValidationError(`template ${JSON.stringify(template)}: ${problems.join('; ')}`);
  return template.replace(PATTERN, (_m, name: string, image: string | undefined, field: keyof ImageVars | undefined) => {
    if (name === 'Images') {
      const img = vars.Images?.[image!];
      if (!img) throw new ValidationError(`template ${JSON.stringify(template)}: no image named ${image}`);
      return img[field!];
    }
    const value = vars[name as Exclude<keyof TemplateVars, 'Images'>];
    if (value === undefined) throw new ValidationError(`template ${JSON.stringify(template)}: .${name} has no value in this build`);
    return value;
  });
}
