// helm's post-renderer: `helm upgrade --post-renderer <node> --post-renderer-args ...` pipes the
// rendered chart through this program, which replaces image references as in raw manifests
// (manifests.ts) and refuses objects naming another namespace. Its one argument is a JSON file
// { images: BuiltImage[], namespace }. Run as its own process by helm, never imported.
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../../core/errors.ts';
import { replaceImagesInText, type BuiltImage } from './manifests.ts';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: post-render <config.json>');
  const config = JSON.parse(await readFile(file, 'utf8')) as { images: BuiltImage[]; namespace?: string };
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  process.stdout.write(replaceImagesInText(Buffer.concat(chunks).toString('utf8'), config.images, config.namespace));
}

main().catch((err: unknown) => {
  process.stderr.write(`${errorMessage(err)}\n`);
  process.exit(1);
});
