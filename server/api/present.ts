// Records as the API shows them: a repository URL configured with credentials is shown without.
import type { BuildRecord } from '../../core/records.ts';
import { stripCredentials } from '../../core/repo-url.ts';

export function presentBuild(b: BuildRecord): BuildRecord {
  return b.repo.includes('@') ? { ...b, repo: stripCredentials(b.repo) } : b;
}
