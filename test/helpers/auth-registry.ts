// A registry of a test's own that requires a login: Debian's docker-registry on a free loopback
// port with an htpasswd file, an auth.json holding the login (as REGISTRY_AUTH_FILE) and a
// registries.conf (the testenv's plus this one, plain HTTP) for buildah.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../cli/up/free-port.ts';
import { exec } from '../../runner/exec.ts';
import { testenv } from './testenv.ts';

export interface AuthRegistry {
  /** host:port */
  host: string;
  dir: string;
  /** base64 of user:password, the `Basic` credential */
  basic: string;
  authFile: string;
  registriesConf: string;
  stop(): Promise<void>;
}

async function waitStatus(url: string, status: number, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(url, { headers }).catch(() => undefined);
    if (res?.status === status) return;
    if (Date.now() > deadline) throw new Error(`${url} never answered ${status} (last ${res?.status})`);
    await sleep(100);
  }
}

export async function startAuthRegistry(user: string, password: string): Promise<AuthRegistry> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-authreg-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const basic = Buffer.from(`${user}:${password}`).toString('base64');
  const htpasswd = await exec(['htpasswd', '-Bbn', user, password], { timeoutMs: 30_000 });
  await writeFile(path.join(dir, 'htpasswd'), htpasswd.stdout);
  await writeFile(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${path.join(dir, 'data')} } }`,
      `http: { addr: "${host}" }`,
      `auth: { htpasswd: { realm: slipway-test, path: ${path.join(dir, 'htpasswd')} } }`,
      '',
    ].join('\n'),
  );
  const authFile = path.join(dir, 'auth.json');
  await writeFile(authFile, JSON.stringify({ auths: { [host]: { auth: basic } } }), { mode: 0o600 });
  const testenvConf = testenv().vars.CONTAINERS_REGISTRIES_CONF;
  const base = testenvConf ? await readFile(testenvConf, 'utf8') : 'unqualified-search-registries = []\n';
  const registriesConf = path.join(dir, 'registries.conf');
  await writeFile(registriesConf, `${base}\n[[registry]]\nlocation = "${host}"\ninsecure = true\n`);
  const stopper = new AbortController();
  const served = exec(['docker-registry', 'serve', path.join(dir, 'config.yml')], { signal: stopper.signal, allowFailure: true, killGraceMs: 2000 }).catch(() => undefined);
  const stop = async () => {
    stopper.abort();
    await served;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitStatus(`http://${host}/v2/`, 401);
    await waitStatus(`http://${host}/v2/`, 200, { authorization: `Basic ${basic}` });
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, dir, basic, authFile, registriesConf, stop };
}
