// Skaffold's image variables for helm setValueTemplates (and other plan templates): per
// artifact IMAGE_REPO_<name>, IMAGE_TAG_<name>, IMAGE_DIGEST_<name>, IMAGE_FULLY_QUALIFIED_<name>,
// IMAGE_DOMAIN_<name>, IMAGE_REPO_NO_DOMAIN_<name> (<name>: the image name with every character
// other than letters, digits and _ made _), and without the suffix when there is one artifact.
import type { ImageRecord } from '../../core/records.ts';
import { sanitizeImageName } from '../../pipelines/skaffold/upgrade.ts';

function domainOf(repo: string): { domain: string; path: string } {
  const slash = repo.indexOf('/');
  const first = slash < 0 ? '' : repo.slice(0, slash);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) return { domain: first, path: repo.slice(slash + 1) };
  return { domain: '', path: repo };
}

export function imageTemplateValues(images: readonly ImageRecord[]): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (suffix: string, img: ImageRecord) => {
    const { domain, path } = domainOf(img.name);
    out[`IMAGE_REPO${suffix}`] = img.name;
    out[`IMAGE_TAG${suffix}`] = img.tag;
    out[`IMAGE_DIGEST${suffix}`] = img.digest;
    out[`IMAGE_FULLY_QUALIFIED${suffix}`] = img.ref;
    out[`IMAGE_DOMAIN${suffix}`] = domain;
    out[`IMAGE_REPO_NO_DOMAIN${suffix}`] = path;
  };
  for (const img of images) put(`_${sanitizeImageName(img.name)}`, img);
  if (images.length === 1) put('', images[0]!);
  return out;
}
