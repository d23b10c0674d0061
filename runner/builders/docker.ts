// docker (or a docker-compatible CLI): `docker push` prints "<tag>: digest: sha256:... size: N".
import { digestFromOutput } from './read-digest.ts';
import { buildArgFlags, type Builder } from './types.ts';

export const docker: Builder = {
  name: 'docker',
  buildArgv: (i) => ['docker', 'build', '-f', i.dockerfile, '-t', i.ref, ...(i.target ? ['--target', i.target] : []), ...(i.platform ? ['--platform', i.platform] : []), ...buildArgFlags(i.buildArgs), i.context],
  pushArgv: (i) => ['docker', 'push', i.ref],
  digest: async (_i, output) => digestFromOutput(output),
};
