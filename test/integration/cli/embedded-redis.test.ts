// `slipway up`'s embedded redis-server, started for real: when the port it remembers (or just found
// free) is taken by something else, it comes up on another one instead of failing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, mkdir, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { redisAnswers } from '../../../core/redis.ts';
import { exec } from '../../../runner/exec.ts';
import { startEmbeddedRedis } from '../../../cli/up/embedded-redis.ts';

void test('a taken port: the embedded redis-server starts on a fresh one and remembers it', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-embedded-'));
  const squatter = createServer((socket) => socket.destroy()); // answers TCP, not Redis
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const taken = (squatter.address() as { port: number }).port;
  try {
    await mkdir(path.join(dataDir, 'redis'), { recursive: true });
    await writeFile(path.join(dataDir, 'redis', 'port'), `${taken}\n`);
    const redis = await startEmbeddedRedis({ dataDir, exec });
    try {
      const port = Number(new URL(redis.url).port);
      assert.notEqual(port, taken);
      assert.equal(await redisAnswers(redis.url), true);
      assert.equal((await readFile(path.join(dataDir, 'redis', 'port'), 'utf8')).trim(), String(port));
    } finally {
      await redis.stop();
    }
  } finally {
    squatter.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

void test('the embedded redis-server requires its password, kept 0600 in the data folder and the same on the next start', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-embedded-'));
  try {
    const first = await startEmbeddedRedis({ dataDir, exec });
    const url = new URL(first.url);
    const password = (await readFile(path.join(dataDir, 'redis-password'), 'utf8')).trim();
    let stopped = false;
    try {
      assert.ok(password.length >= 24);
      assert.equal(decodeURIComponent(url.password), password);
      assert.equal((await stat(path.join(dataDir, 'redis-password'))).mode & 0o777, 0o600);
      assert.equal((await stat(path.join(dataDir, 'redis', 'redis.conf'))).mode & 0o777, 0o600);
      // without the password (what a step that found the port would try): refused
      const bare = `redis://127.0.0.1:${url.port}`;
      assert.equal(await redisAnswers(bare), false);
      const cli = await exec(['redis-cli', '-u', bare, 'SET', 'slipway:stolen', '1'], { allowFailure: true, timeoutMs: 10_000 });
      assert.match(cli.stdout + cli.stderr, /NOAUTH/);
      const wrong = await exec(['redis-cli', '-u', `redis://:guess@127.0.0.1:${url.port}`, 'PING'], { allowFailure: true, timeoutMs: 10_000 });
      assert.doesNotMatch(wrong.stdout, /PONG/);
      assert.equal(await redisAnswers(first.url), true);
      await first.stop();
      stopped = true;
      // the next start keeps the password
      const second = await startEmbeddedRedis({ dataDir, exec });
      try {
        assert.equal(decodeURIComponent(new URL(second.url).password), password);
        assert.equal(await redisAnswers(second.url), true);
      } finally {
        await second.stop();
      }
    } finally {
      if (!stopped) await first.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

void test('a server of an older up without a password is restarted with one, its data kept', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'slipway-embedded-'));
  try {
    const dir = path.join(dataDir, 'redis');
    await mkdir(dir, { recursive: true });
    const port = Number(new URL((await startEmbeddedRedis({ dataDir, exec }).then(async (r) => (await r.stop(), r))).url).port);
    // as an older version left it: no requirepass, data in the same folder
    await writeFile(path.join(dir, 'old.conf'), `bind 127.0.0.1\nport ${port}\ndir ${dir}\nappendonly yes\ndaemonize yes\npidfile ${dir}/redis.pid\nlogfile ${dir}/redis.log\n`);
    await exec(['redis-server', path.join(dir, 'old.conf')], { timeoutMs: 15_000, startsDaemon: true });
    const bare = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 50 && !(await redisAnswers(bare)); i++) await new Promise((r) => setTimeout(r, 100));
    await exec(['redis-cli', '-u', bare, 'SET', 'kept', 'yes'], { timeoutMs: 10_000 });
    const redis = await startEmbeddedRedis({ dataDir, exec });
    try {
      assert.equal(await redisAnswers(bare), false, 'the unprotected server is gone');
      const u = new URL(redis.url);
      const got = await exec(['redis-cli', '-h', u.hostname, '-p', u.port, '-a', decodeURIComponent(u.password), '--no-auth-warning', 'GET', 'kept'], { timeoutMs: 10_000 });
      assert.equal(got.stdout.trim(), 'yes');
    } finally {
      await redis.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
