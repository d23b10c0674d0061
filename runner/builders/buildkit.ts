// BuildKit through buildctl: builds and pushes in one command; the digest comes from the
// metadata file (containerimage.digest).
import path from 'node:path';
import { readDigestFile } from './read-digest.ts';
import { buildArgFlags, type Builder } from './types.ts';

export const buildkit: Builder = {
  name: 'buildkit',
  buildArgv: (i) => [
    'buildctl',
    'build',
    '--frontend',
    'dockerfile.v0',
    '--local',
    `context=${i.context}`,
    '--local',
    `dockerfile=${path.dirname(i.dockerfile)}`,
    '--opt',
    `filename=${path.basename(i.dockerfile)}`,
    ...(i.target ? ['--opt', `target=${i.target}`] : []),
    ...(i.platform ? ['--opt', `platform=${i.platform}`] : []),
    ...(i.cacheRepo
      ? ['--import-cache', `type=registry,ref=${i.cacheRepo}${i.insecureRegistry ? ',registry.insecure=true' : ''}`, '--export-cache', `type=registry,ref=${i.cacheRepo},mode=max${i.insecureRegistry ? ',registry.insecure=true' : ''}`]
      : []),
    ...buildArgFlags(i.buildArgs, '--opt').map((a) => (a === '--opt' ? a : `build-arg:${a}`)),
    '--output',
    `type=image,name=${i.ref},push=true${i.insecureRegistry ? ',registry.insecure=true' : ''}`,
    '--metadata-file',
    i.digestFile,
  ],
  pushArgv: () => undefined,
  digest: (i) => readDigestFile(i.digestFile),
};
