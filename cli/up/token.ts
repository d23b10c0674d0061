// The API token of `slipway up`: SLIPWAY_API_TOKEN when set, else generated once and kept in
// <dataDir>/token (mode 0600) so later runs and the CLI use the same one.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function loadOrCreateToken(dataDir: string, fromEnv: string | undefined): Promise<{ token: string; file?: string; created: boolean }> {
  if (fromEnv) return { token: fromEnv, created: false };
  const file = path.join(dataDir, 'token');
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token) return { token, file, created: false };
  } catch {
    // first run
  }
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, file, created: true };
}
