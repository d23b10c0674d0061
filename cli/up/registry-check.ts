// Which registries the pipelines push to and whether each answers /v2/ (401 counts: it is there,
// it wants credentials). `up` warns about the ones that do not, before a build finds out.
import type { LoadedPipeline } from '../../pipelines/schema.ts';

export function registriesOf(pipelines: LoadedPipeline[]): string[] {
  const hosts = new Set<string>();
  for (const { pipeline } of pipelines) {
    for (const a of pipeline.build.artifacts) {
      const first = a.image.split('/')[0]!;
      if (a.image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) hosts.add(first);
    }
  }
  return [...hosts];
}

export async function unreachableRegistries(hosts: string[], timeoutMs = 2000): Promise<string[]> {
  const results = await Promise.all(
    hosts.map(async (host) => {
      const loopback = /^(127\.|localhost[:]|localhost$|\[::1\])/.test(host);
      try {
        const res = await fetch(`${loopback ? 'http' : 'https'}://${host}/v2/`, { signal: AbortSignal.timeout(timeoutMs) });
        return res.status === 200 || res.status === 401 ? undefined : host;
      } catch {
        return host;
      }
    }),
  );
  return results.filter((h): h is string => h !== undefined);
}
