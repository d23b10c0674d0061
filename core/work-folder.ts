// The work folder (SLIPWAY_WORKDIR) is checked when a server or runner starts: the server keeps its
// webhook spool there, the one place a delivery goes while Redis does not answer, and a runner its
// mirrors, workspaces and process lists. Made when first needed, a folder that cannot be made or
// written showed only later: a server listened and answered 503 to every webhook of an outage.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, errorMessage } from './errors.ts';

/**
 * Makes the work folder and writes (and removes) a file in it; a ConfigError naming the folder and
 * the setting it comes from when either fails (a file in its path, a read-only mount, a full disk).
 */
export async function checkWorkFolder(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const probe = path.join(dir, `.write-check-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, 'slipway\n');
    await rm(probe, { force: true });
  } catch (err) {
    // as core/config.ts derives it: SLIPWAY_WORKDIR, else SLIPWAY_DATA_DIR's work/
    const setting = env.SLIPWAY_WORKDIR ? 'SLIPWAY_WORKDIR' : 'SLIPWAY_DATA_DIR/work; SLIPWAY_WORKDIR is not set';
    throw new ConfigError(`the work folder ${dir} (${setting}) cannot be written: ${errorMessage(err)}`);
  }
}
