// Secrets `slipway up` generates once and keeps in the data folder (mode 0600), so later runs and
// the CLI use the same ones: the API token (unless SLIPWAY_API_TOKEN is set) and the embedded
// Redis's password.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The secret kept in `file`, created (24 random bytes, base64url) when missing or empty. */
export async function loadOrCreateSecret(file: string): Promise<{ secret: string; created: boolean }> {
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret) {
      await chmod(file, 0o600); // a file an older version or a person left readable
      return { secret, created: false };
    }
  } catch {
    // first run
  }
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(24).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile's mode applies only to a new file
  return { secret, created: true };
}

export async function loadOrCreateToken(dataDir: string, fromEnv: string | undefined): Promise<{ token: string; file?: string; created: boolean }> {
  if (fromEnv) return { token: fromEnv, created: false };
  const file = path.join(dataDir, 'token');
  const { secret, created } = await loadOrCreateSecret(file);
  return { token: secret, file, created };
}
