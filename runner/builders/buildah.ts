// buildah, rootless-friendly: vfs storage, chroot isolation; push writes the digest to a file.
// With a cache repository: --layers, reusing the layers found there and pushing its own
// (--cache-from / --cache-to, buildah 1.27 and later), so a one-line change rebuilds only the
// steps after it, on any runner.
import { readDigestFile } from './read-digest.ts';
import { buildArgFlags, type Builder } from './types.ts';

export const buildah: Builder = {
  name: 'buildah',
  buildArgv: (i) => [
    'buildah',
    '--storage-driver',
    'vfs',
    'bud',
    '--isolation',
    'chroot',
    '-f',
    i.dockerfile,
    '-t',
    i.ref,
    ...(i.target ? ['--target', i.target] : []),
    ...(i.platform ? ['--platform', i.platform] : []),
    ...(i.cacheRepo ? ['--layers', '--cache-from', i.cacheRepo, '--cache-to', i.cacheRepo] : []),
    ...buildArgFlags(i.buildArgs),
    i.context,
  ],
  pushArgv: (i) => [
    'buildah',
    '--storage-driver',
    'vfs',
    'push',
    '--digestfile',
    i.digestFile,
    ...(i.insecureRegistry ? ['--tls-verify=false'] : []),
    i.ref,
    `docker://${i.ref}`,
  ],
  digest: (i) => readDigestFile(i.digestFile),
};
