// The registry client's authentication, against a stand-in registry on a live port (the testenv's
// registry has no auth): Bearer tokens from the realm the challenge names, asked with the runner's
// credentials; Basic where the registry asks for it; a refusal named without the password.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { ConfigError } from '../../../../core/errors.ts';
import { createRegistryClient } from '../../../../runner/registry/registry-client.ts';

const PASSWORD = 'r3gistry-pa55';
const DIGEST = `sha256:${'a'.repeat(64)}`;
let server: Server;
let host: string;
const seen: { url: string; auth: string | undefined }[] = [];

const basicOk = (req: IncomingMessage) => req.headers.authorization === `Basic ${Buffer.from(`robot:${PASSWORD}`).toString('base64')}`;

before(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      if (!basicOk(req)) return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `tok-for-${url.searchParams.get('scope')}` }));
      return;
    }
    // /v2/bearer/... wants a token; /v2/basic/... wants Basic
    if (url.pathname.startsWith('/v2/bearer/')) {
      if (req.headers.authorization !== 'Bearer tok-for-repository:bearer/app:pull,push') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${host}/token",service="stand-in",scope="repository:bearer/app:pull"` }).end();
        return;
      }
    } else if (!basicOk(req)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="stand-in"' }).end();
      return;
    }
    res.writeHead(200, { 'docker-content-digest': DIGEST, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  host = `127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

void test('a Bearer challenge: the token is asked of its realm with the credentials, then reused', async () => {
  const client = createRegistryClient({ credentials: async () => ({ username: 'robot', password: PASSWORD }) });
  seen.length = 0;
  assert.deepEqual(await client.headManifest(`${host}/bearer/app`, '1'), { digest: DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
  assert.deepEqual(seen.map((s) => new URL(s.url, 'http://x').pathname), ['/v2/bearer/app/manifests/1', '/token', '/v2/bearer/app/manifests/1']);
  assert.equal(new URL(seen[1]!.url, 'http://x').searchParams.get('service'), 'stand-in');
  await client.headManifest(`${host}/bearer/app`, '2');
  assert.equal(seen.length, 4, 'the token was reused');
});

void test('a Basic challenge is answered with the credentials', async () => {
  const client = createRegistryClient({ credentials: async () => ({ username: 'robot', password: PASSWORD }) });
  assert.equal((await client.headManifest(`${host}/basic/app`, '1'))?.digest, DIGEST);
});

void test('no or wrong credentials: a ConfigError naming the registry, never the password', async () => {
  const none = createRegistryClient({ credentials: async () => undefined });
  await assert.rejects(none.headManifest(`${host}/basic/app`, '1'), (err) => err instanceof ConfigError && /wants credentials/.test(err.message));
  const wrong = createRegistryClient({ credentials: async () => ({ username: 'robot', password: `${PASSWORD}-wrong` }) });
  for (const repo of ['basic/app', 'bearer/app']) {
    const err = await wrong.headManifest(`${host}/${repo}`, '1').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, /refused the credentials/);
    assert.ok(!err.message.includes(PASSWORD));
  }
});
