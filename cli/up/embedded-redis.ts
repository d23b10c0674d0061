// The embedded redis-server of `slipway up`: configured like production (AOF everysec,
// noeviction), data in <dataDir>/redis, on a loopback port remembered between runs. A server
// left running by an earlier `up` of the same data folder is adopted instead of started twice.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { redisAnswers } from '../../core/redis.ts';
import type { Exec } from '../../runner/exec.ts';
import { freePort } from './free-port.ts';

export interface EmbeddedRedis {
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

  if (port && (await redisAnswers(`redis://127.0.0.1:${port}`))) {
    const url = `redis://127.0.0.1:${port}`;
    return { url, dir, stop: () => stop(url) };
  }
  if (!port) port = await freePort();
  const conf = [
    `bind 127.0.0.1`,
    `port ${port}`,
    `dir ${dir}`,
    `appendonly yes`,
    `appendfsync everysec`,
    `maxmemory-policy noeviction`,
    `daemonize yes`,
    `pidfile ${path.join(dir, 'redis.pid')}`,
    `logfile ${path.join(dir, 'redis.log')}`,
    `protected-mode yes`,
  ].join('\n');
  const confFile = path.join(dir, 'redis.conf');
  await writeFile(confFile, `${conf}\n`);
  await writeFile(portFile, `${port}\n`);
  const binary = opts.binary ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server');
  await opts.exec([binary, confFile], { timeoutMs: 15_000 });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers(url)) return { url, dir, stop: () => stop(url) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the embedded redis-server did not answer on ${url}; see ${path.join(dir, 'redis.log')}`);
}
