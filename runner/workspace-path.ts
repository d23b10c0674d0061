// Paths from a pipeline file (contexts, dockerfiles, workdirs, charts, values files) resolved
// inside the checkout: `../` escapes and absolute paths are refused.
import path from 'node:path';
import { ValidationError } from '../core/errors.ts';

export function resolveInside(root: string, relative: string, what: string): string {
  if (path.isAbsolute(relative)) throw new ValidationError(`${what} ${JSON.stringify(relative)} must be a path inside the repository`);
  const full = path.resolve(root, relative);
  const rel = path.relative(root, full);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new ValidationError(`${what} ${JSON.stringify(relative)} points outside the repository`);
  }
  return full;
}
