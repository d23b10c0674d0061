// kaniko's executor (inside a kaniko container): builds and pushes in one command.
import { readDigestFile } from './read-digest.ts';
import { buildArgFlags, type Builder } from './types.ts';

export const kaniko: Builder = {
  name: 'kaniko',
  buildArgv: (i) => [
    '/kaniko/executor',
    '--context',
    `dir://${i.context}`,
    '--dockerfile',
    i.dockerfile,
    '--destination',
    i.ref,
    ...(i.target ? ['--target', i.target] : []),
    ...(i.platform ? [`--custom-platform=${i.platform}`] : []),
    ...(i.cacheRepo ? ['--cache=true', `--cache-repo=${i.cacheRepo}`] : []),
    ...buildArgFlags(i.buildArgs),
    '--digest-file',
    i.digestFile,
    ...(i.insecureRegistry ? ['--insecure', '--skip-tls-verify'] : []),
  ],
  pushArgv: () => undefined,
  digest: (i) => readDigestFile(i.digestFile),
};
