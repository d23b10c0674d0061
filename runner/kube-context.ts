// The runner's kube context, as kubectl would pick it: `current-context` of the first file of
// KUBECONFIG (a path list) that sets one, else of ~/.kube/config. A runner in a pod without a
// kubeconfig (in-cluster credentials) has none. Skaffold's `activation: [{kubeContext}]` matches
// against it (pipelines/skaffold/profiles.ts).
import { readFile as fsReadFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';

export interface KubeContextSource {
  /** KUBECONFIG as the runner's kubectl sees it. */
  kubeconfig?: string;
  home?: string;
  readFile?: (file: string) => Promise<string>;
}

export async function currentKubeContext(src: KubeContextSource): Promise<string | undefined> {
  const read = src.readFile ?? ((f: string) => fsReadFile(f, 'utf8'));
  const files = src.kubeconfig ? src.kubeconfig.split(path.delimiter).filter(Boolean) : src.home ? [path.join(src.home, '.kube', 'config')] : [];
  for (const file of files) {
    let text: string;
    try {
      text = await read(file);
    } catch {
      continue; // kubectl skips files of the list that do not exist
    }
    let doc: unknown;
    try {
      doc = parse(text);
    } catch {
      continue;
    }
    const current = (doc as { 'current-context'?: unknown } | null)?.['current-context'];
    if (typeof current === 'string' && current !== '') return current;
  }
  return undefined;
}
