// Digests written by builders to a file (buildah --digestfile, kaniko --digest-file, buildctl
// --metadata-file as JSON).
import { readFile } from 'node:fs/promises';
import { ValidationError } from '../../core/errors.ts';
import { DIGEST } from './types.ts';

export async function readDigestFile(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const m = DIGEST.exec(text);
  if (!m) throw new ValidationError(`the builder wrote no image digest to ${file}`);
  return m[0];
}

export function digestFromOutput(output: string): string {
  const m = DIGEST.exec(output.split('\n').filter((l) => /digest/i.test(l)).join('\n'));
  if (!m) throw new ValidationError('the push printed no image digest');
  return m[0];
}
