// The embedded redis-server of `slipway up`: configured like production (AOF everysec,
// noeviction), data in <dataDir>/redis, on a loopback port remembered between runs, and a password
// (requirepass) generated once into <dataDir>/redis-password (0600): a step or any local process
// that reaches the port cannot use it. The password is in the config file (0600), never on a
// command line. A server left running by an earlier `up` of the same data folder is adopted
// instead of started twice; one of an older version without a password is stopped and started
// again with it.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { redisAnswers } from '../../core/redis.ts';
import type { Exec } from '../../runner/exec.ts';
import { freePort } from './free-port.ts';
import { loadOrCreateSecret } from './token.ts';

export interface EmbeddedRedis {
  /** redis://:PASSWORD@127.0.0.1:PORT: print it through redactUrl only. */
  url: string;
  dir: string;
  /** Saves and stops the server. */
  stop(): Promise<void>;
}

async function rememberedPort(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export async function startEmbeddedRedis(opts: { dataDir: string; exec: Exec; binary?: string }): Promise<EmbeddedRedis> {
  const dir = path.join(opts.dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  const portFile = path.join(dir, 'port');
  let port = await rememberedPort(portFile);
  const { secret: password } = await loadOrCreateSecret(path.join(opts.dataDir, 'redis-password'));
  const urlOf = (p: number) => `redis://:${encodeURIComponent(password)}@127.0.0.1:${p}`;
  const stop = async (url: string) => {
    const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      // SHUTDOWN rewrites nothing we need; AOF everysec already holds the data, SAVE makes it certain.
      await client.call('SHUTDOWN', 'SAVE');
    } catch {
      // the connection drops as the server exits: that is the success case
    } finally {
      client.disconnect();
    }
  };

  if (port) {
    // ours from before passwords (it answers without one; ioredis would not even say that the
    // password it sent was not needed): stopped, to restart protected on the same data
    if (await redisAnswers(`redis://127.0.0.1:${port}`)) await stop(`redis://127.0.0.1:${port}`);
    else if (await redisAnswers(urlOf(port))) return { url: urlOf(port), dir, stop: () => stop(urlOf(port!)) };
  }
  const binary = opts.binary ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server');
  const log = path.join(dir, 'redis.log');
  // A port found free a moment ago can be taken before redis-server binds it (an outgoing
  // connection's local port, another server starting): then it is tried again on a fresh port.
  for (let attempt = 1; ; attempt++) {
    port ??= await freePort();
    const url = urlOf(port);
    const outcome = await launch(port, url);
    if (outcome === 'answered') return { url, dir, stop: () => stop(url) };
    if (outcome === 'port-taken' && attempt < 3) {
      port = undefined;
      continue;
    }
    const lastLines = (await logSince(log, 0)).trimEnd().split('\n').slice(-3).join('\n  ');
    throw new Error(`the embedded redis-server did not answer on 127.0.0.1:${port}; see ${log}${lastLines ? `, which ends:\n  ${lastLines}` : ' (empty)'}`);
  }

  async function launch(port: number, url: string): Promise<'answered' | 'port-taken' | 'silent'> {
    const conf = [
      `bind 127.0.0.1`,
      `port ${port}`,
      `dir ${dir}`,
      `appendonly yes`,
      `appendfsync everysec`,
      `maxmemory-policy noeviction`,
      `daemonize yes`,
      `pidfile ${path.join(dir, 'redis.pid')}`,
      `logfile ${log}`,
      `protected-mode yes`,
      `requirepass ${password}`,
    ].join('\n');
    const confFile = path.join(dir, 'redis.conf');
    await writeFile(confFile, `${conf}\n`, { mode: 0o600 });
    await chmod(confFile, 0o600);
    await writeFile(portFile, `${port}\n`);
    const logStart = await logSize(log);
    // startsDaemon: redis-server forks and exits; its fork must not die with it.
    await opts.exec([binary, confFile], { timeoutMs: 15_000, startsDaemon: true });
    for (let i = 0; i < 100; i++) {
      if (await redisAnswers(url)) return 'answered';
      if (/Address already in use|Could not create server TCP listening socket/.test(await logSince(log, logStart))) return 'port-taken';
      await new Promise((r) => setTimeout(r, 100));
    }
    return 'silent';
  }
}

async function logSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** What the log gained after `from` bytes (this launch's lines only). */
async function logSince(file: string, from: number): Promise<string> {
  try {
    return (await readFile(file)).subarray(from).toString('utf8');
  } catch {
    return '';
  }
}
