// What the test registry holds for a repository, read through the registry's HTTP API.
import assert from 'node:assert/strict';

/** The tags the registry has for a repository ([] when it has no such repository). */
export async function tagsOf(image: string): Promise<string[]> {
  const [host, ...rest] = image.split('/');
  const res = await fetch(`http://${host}/v2/${rest.join('/')}/tags/list`);
  if (res.status === 404) return [];
  assert.equal(res.status, 200);
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}

/** The registry has no tag of any of these images: nothing of them was pushed. */
export async function assertNotPushed(...images: string[]): Promise<void> {
  for (const image of images) assert.deepEqual(await tagsOf(image), [], `${image} was pushed`);
}

/** The digest the registry has under image:tag (null when it has none). */
export async function registryDigest(image: string, tag: string): Promise<string | null> {
  const [host, ...rest] = image.split('/');
  const res = await fetch(`http://${host}/v2/${rest.join('/')}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  return res.ok ? res.headers.get('docker-content-digest') : null;
}
