// Property-based fuzzing of the whole HTTP edge (fast-check) against a live server on 127.0.0.1 with
// the real Redis: 10,000+ generated requests over every route (webhooks of each forge and of names
// Object.prototype holds, the REST API with and without the token, health, metrics, the dashboard)
// with wrong methods, wrong types, huge and deep JSON, NULs, bad UTF-8, wrong content types and
// encodings, validly and badly signed. No answer may be a 5xx, the server must keep answering,
// and the heap must come back to about where it was.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createDashboard } from '../../../server/ui/dashboard.ts';
import { hmacHex } from '../../../server/webhooks/signature.ts';
import { fixture, HEADERS, pipelineYaml, SECRET, startHarness, TOKEN, type Harness } from './harness.ts';

const GITHUB_REPO = 'https://github.com/fuzz/app';
const GOGS_REPO = 'http://127.0.0.1:3000/fuzz/app.git';
const GITEA_REPO = 'http://127.0.0.1:3001/fuzz/app';
const BODY_LIMIT = 256 * 1024; // the webhook limit, lowered so over-limit bodies stay cheap
const RUNS = 1050; // batches
const BATCH = 10; // requests per batch, sent at once over keep-alive connections

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** The body is over the webhook limit: the server may close the connection before reading it. */
  huge: boolean;
}

// --- pieces --------------------------------------------------------------------------------------

const ascii = (max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });
const anyText = (max: number) => fc.string({ unit: 'binary', maxLength: max });

/** A path segment: plain, percent-encoded anything, or percent garbage that does not decode. */
const segment = fc.oneof(
  fc.constantFrom('demo-1', 'app-1', 'fuzz-gh-1', 'fuzz-gh', 'fuzz-gogs', 'fuzz-gitea', 'nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '..', '.', ''),
  anyText(40).map(encodeURIComponent),
  fc.constantFrom('%', '%E0%A4%A', '%ff', '%00', '%C0%AF', '%2e%2e', '%2F', '%uD800', '%ED%A0%80'),
  ascii(20).map((s) => s.replace(/[?#/\\ %]/g, '_')),
);

const forgeName = fc.constantFrom('github', 'gogs', 'gitea', '__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'prototype', 'GitHub', 'github%00', '');

const query = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  fc.dictionary(fc.constantFrom('branch', 'status', 'limit', '__proto__', 'x', 'limit[]'), anyText(12), { maxKeys: 3 }).map(
    (d) => `?${Object.entries(d).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`,
  ),
  fc.constantFrom('?limit=-1', '?limit=1e309', '?limit=abc', '?status=running&status=failed', '?%', '?a=%E0%A4%A', '?limit=500', '?branch='),
);

const path = fc.oneof(
  { weight: 6, arbitrary: forgeName.map((f) => `/hooks/${f}`) },
  fc.tuple(forgeName, segment).map(([f, s]) => `/hooks/${f}/${s}`),
  fc.constantFrom('/healthz', '/readyz', '/metrics', '/api/pipelines', '/api/environments', '/', '/api', '/hooks', '/hooks/', '//', '/favicon.ico'),
  segment.map((s) => `/api/pipelines/${s}/builds`),
  segment.map((s) => `/api/builds/${s}`),
  segment.map((s) => `/api/builds/${s}/log`),
  segment.map((s) => `/api/builds/${s}/rerun`),
  segment.map((s) => `/api/builds/${s}/cancel`),
  segment.map((s) => `/api/environments/${s}`),
  segment.map((s) => `/builds/${s}`),
  fc.array(segment, { minLength: 1, maxLength: 6 }).map((ss) => `/${ss.join('/')}`),
).chain((p) => query.map((q) => `${p}${q}`));

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE') },
  fc.constantFrom('PUT', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'MKCOL', 'PURGE', 'SEARCH'),
);

/** JSON that is too deep for naive recursion. */
const deepJson = fc.tuple(fc.integer({ min: 100, max: 50_000 }), fc.constantFrom('array', 'object', 'unclosed')).map(([depth, kind]) => {
  if (kind === 'array') return '['.repeat(depth) + ']'.repeat(depth);
  if (kind === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return '{"ref":'.repeat(depth);
});

/** A real push payload of each forge with some fields replaced by anything JSON can hold. */
const mutatedPush = fc
  .tuple(
    fc.constantFrom('github', 'gogs', 'gitea'),
    fc.dictionary(
      fc.constantFrom('ref', 'before', 'after', 'commits', 'repository', 'pusher', 'sender', 'deleted', 'created', 'forced', 'total_commits', 'ref_type', '__proto__', 'constructor'),
      fc.oneof(fc.jsonValue({ maxDepth: 4 }), anyText(300), fc.constantFrom('refs/heads/\u0000x', 'refs/heads/a..b', 'refs/heads/', 'refs/tags/v1', '0'.repeat(40), 'g'.repeat(40), `refs/heads/${'x'.repeat(5000)}`)),
      { maxKeys: 4 },
    ),
    fc.dictionary(fc.constantFrom('clone_url', 'html_url', 'url', 'ssh_url', 'git_url'), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(GITHUB_REPO, GOGS_REPO, GITEA_REPO, `${GITHUB_REPO}\u0000`)), { maxKeys: 2 }),
  )
  .map(([forge, top, repo]) => {
    const base = forge === 'github' ? githubPush() : fixture(forge === 'gogs' ? 'gogs-push.json' : 'gitea-push.json');
    const repository = { ...(base.repository as Record<string, unknown>), ...repo };
    return { ...base, repository, ...top };
  });

function githubPush(): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    before: 'a'.repeat(40),
    after: 'b'.repeat(40),
    created: false,
    deleted: false,
    forced: false,
    repository: { clone_url: `${GITHUB_REPO}.git`, html_url: GITHUB_REPO, url: GITHUB_REPO },
    pusher: { name: 'fuzzer' },
    commits: [{ added: ['a.txt'], removed: [], modified: [] }],
  };
}

const body: fc.Arbitrary<{ bytes: Buffer | undefined; huge: boolean }> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ bytes: undefined, huge: false }) },
  { weight: 6, arbitrary: mutatedPush.map((p) => ({ bytes: Buffer.from(JSON.stringify(p)), huge: false })) },
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => ({ bytes: Buffer.from(JSON.stringify(v) ?? 'null'), huge: false })) },
  { weight: 2, arbitrary: fc.record({ branch: fc.oneof(fc.jsonValue({ maxDepth: 2 }), anyText(300)), sha: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFg'), maxLength: 70 })), params: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }).map((v) => ({ bytes: Buffer.from(JSON.stringify(v)), huge: false })) },
  { weight: 2, arbitrary: deepJson.map((s) => ({ bytes: Buffer.from(s), huge: s.length > BODY_LIMIT })) },
  // raw bytes: NULs, lone surrogates' encodings, invalid UTF-8 sequences, truncated JSON
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((a) => ({ bytes: Buffer.from(a), huge: false })) },
  { weight: 2, arbitrary: fc.constantFrom('{"ref":"refs/heads/\u0000"}', '{"ref":', '\u0000\u0000', '\ufeff{}', '{"a":"\ud800"}', 'null', 'true', '[]', '1e309', '"x"').map((s) => ({ bytes: Buffer.from(s), huge: false })) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), Buffer.from([0xed, 0xa0, 0x80])).map((b) => ({ bytes: b, huge: false })) },
  // huge: a long string field (JSON, over the limits) or just many bytes
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 1_500_000 }).map((n) => ({ bytes: Buffer.from(JSON.stringify({ ref: 'x'.repeat(n) })), huge: n > BODY_LIMIT - 20 })) },
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset=bogus',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '*/*',
  'application/json;;;',
  '',
  undefined,
);

/** A push as a forge sends it (right route, headers and signature), on a generated branch and commit. */
const plausibleHook: fc.Arbitrary<FuzzRequest> = fc
  .record({
    forge: fc.constantFrom('github', 'gogs', 'gitea'),
    event: fc.constantFrom('push', 'push', 'push', 'delete', 'ping'),
    branch: fc.stringMatching(/^[a-z0-9][a-z0-9/_.-]{0,30}$/),
    after: fc.stringMatching(/^[0-9a-f]{40}$/),
    delivery: fc.uuid(),
  })
  .map(({ forge, event, branch, after, delivery }) => {
    const base = forge === 'github' ? githubPush() : fixture(forge === 'gogs' ? 'gogs-push.json' : 'gitea-push.json');
    const url = forge === 'github' ? GITHUB_REPO : forge === 'gogs' ? GOGS_REPO : GITEA_REPO;
    const payload = { ...base, ref: event === 'delete' ? branch : `refs/heads/${branch}`, ref_type: 'branch', after, repository: { ...(base.repository as Record<string, unknown>), clone_url: url, html_url: url } };
    const bytes = Buffer.from(JSON.stringify(payload));
    const h = HEADERS[forge];
    const headers = { 'content-type': 'application/json', [h.event]: event, [h.delivery]: delivery, [h.signature]: `${h.prefix}${hmacHex(SECRET, bytes)}` };
    return { method: 'POST', path: `/hooks/${forge}`, headers, body: bytes, huge: false };
  });

const anyRequest = fc
  .record({
    method,
    path,
    body,
    contentType,
    encoding: fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'bogus')),
    auth: fc.constantFrom(undefined, undefined, `Bearer ${TOKEN}`, `Bearer ${TOKEN}`, 'Bearer wrong', 'Basic Zm9vOmJhcg==', 'Bearer', `bearer  ${TOKEN}  `),
    event: fc.constantFrom(undefined, 'push', 'push', 'ping', 'delete', 'create', 'issues', 'constructor', '__proto__'),
    signature: fc.constantFrom('valid', 'valid', 'wrong', 'none', 'garbage'),
    delivery: fc.oneof(fc.constant(undefined), fc.uuid(), ascii(100)),
    accept: fc.constantFrom(undefined, undefined, 'text/event-stream', 'application/json', '*/*'),
    lastEventId: fc.constantFrom(undefined, '0', '5', '-1', 'abc', '99999999999999999999'),
    user: fc.oneof(fc.constant(undefined), ascii(300)),
  })
  .map((r): FuzzRequest => {
    const headers: Record<string, string> = {};
    if (r.contentType !== undefined) headers['content-type'] = r.contentType;
    if (r.encoding) headers['content-encoding'] = r.encoding;
    if (r.auth) headers.authorization = r.auth;
    if (r.accept) headers.accept = r.accept;
    if (r.lastEventId) headers['last-event-id'] = r.lastEventId;
    if (r.user !== undefined) headers['x-slipway-user'] = r.user;
    const bytes = r.body.bytes ?? Buffer.alloc(0);
    for (const h of Object.values(HEADERS)) {
      if (r.event) headers[h.event] = r.event;
      if (r.delivery !== undefined) headers[h.delivery] = r.delivery;
      if (r.signature === 'valid') headers[h.signature] = `${h.prefix}${hmacHex(SECRET, bytes)}`;
      else if (r.signature === 'wrong') headers[h.signature] = `${h.prefix}${hmacHex('not-the-secret', bytes)}`;
      else if (r.signature === 'garbage') headers[h.signature] = 'sha256=zz';
    }
    return { method: r.method, path: r.path, headers, body: r.body.bytes, huge: r.body.huge };
  });

const request$ = fc.oneof({ weight: 8, arbitrary: anyRequest }, { weight: 2, arbitrary: plausibleHook });

/** fc.assert, with the failing request's own message up front (the reporter would bury it). */
async function check<T>(property: fc.IAsyncProperty<T>, params: fc.Parameters<T>): Promise<void> {
  const out = await fc.check(property, params);
  if (!out.failed) return;
  const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
  assert.fail(`${cause}\n(seed ${out.seed}, path ${out.counterexamplePath}; FUZZ_SEED=${out.seed} replays it)`);
}

// --- sending -------------------------------------------------------------------------------------

interface Answer {
  status: number | undefined;
  error?: string;
}

function send(base: URL, agent: Agent, r: FuzzRequest, retries = 2): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const req = request(
      { host: base.hostname, port: base.port, method: r.method, path: r.path, headers: r.headers, agent },
      (res) => {
        const status = res.statusCode;
        // a live log stream would never end: its answer is enough
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.destroy();
          return done({ status });
        }
        res.on('data', () => undefined);
        res.on('end', () => done({ status }));
        res.on('error', () => done({ status }));
        res.on('close', () => done({ status }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: undefined, error: 'no answer within 15 s' });
    }, 15_000);
    req.on('error', (err) => {
      // A kept-alive socket the server closed after its previous answer (one that did not read
      // the whole body) was reused before its close arrived: the server never saw this request.
      // Node's documented remedy is to send it again.
      if (req.reusedSocket && !settled && retries > 0) {
        settled = true;
        clearTimeout(timer);
        resolve(send(base, agent, r, retries - 1));
        return;
      }
      done({ status: undefined, error: err.message });
    });
    if (r.body) req.end(r.body);
    else req.end();
  });
}

/** A request the HTTP client would not send (NUL and bad UTF-8 in the request line, broken framing). */
const rawRequest = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 600 }).map((a) => Buffer.concat([Buffer.from(a), Buffer.from('\r\n\r\n')])),
  fc.tuple(fc.constantFrom('GET', 'POST'), fc.uint8Array({ minLength: 1, maxLength: 60 })).map(([m, p]) =>
    Buffer.concat([Buffer.from(`${m} /hooks/`), Buffer.from(p), Buffer.from(' HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}')]),
  ),
  fc.constantFrom(
    'POST /hooks/github HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST /hooks/github HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
    'POST /hooks/__proto__ HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\n\r\n',
    'GET /api/builds/\u0000 HTTP/1.1\r\nhost: x\r\n\r\n',
    'POST /api/pipelines/fuzz-gh/builds HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\n{"a"',
  ).map((s) => Buffer.from(s, 'latin1')),
);

function sendRaw(base: URL, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(base.port), base.hostname);
    let got = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) socket.destroy();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got.split('\r\n')[0] ?? '');
    });
    socket.on('error', () => undefined);
    socket.end(bytes);
  });
}

void describe('HTTP fuzzing', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(
      [pipelineYaml('fuzz-gh', GITHUB_REPO, 'on:\n  push:\n    branches: ["**"]\n    tags: ["**"]'), pipelineYaml('fuzz-gogs', GOGS_REPO, 'on:\n  push:\n    paths: ["src/**"]'), pipelineYaml('fuzz-gitea', GITEA_REPO)],
      { maxBodyBytes: BODY_LIMIT, extend: (app) => app.use(createDashboard()) },
    );
  });
  after(async () => h.close());

  void test('POST /hooks/__proto__, /hooks/constructor and /hooks/toString are 404 (no such forge)', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const res = await fetch(`${h.url}/hooks/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(githubPush()) });
      assert.equal(res.status, 404, name);
      assert.equal(((await res.json()) as { error: { type: string } }).error.type, 'not-found');
    }
    const known = await fetch(`${h.url}/hooks/github`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(known.status, 400); // a known forge still reaches its adapter
  });

  void test(`${RUNS * BATCH} generated requests over every route: no 5xx, the server keeps answering, the heap stays bounded`, async () => {
    const base = new URL(h.url);
    const agent = new Agent({ keepAlive: true, maxSockets: BATCH });
    const statuses = new Map<number, number>();
    let unanswered = 0;
    let sent = 0;
    // warm-up so lazy initialisation does not count as growth
    for (let i = 0; i < 3; i++) await send(base, agent, { method: 'GET', path: '/api/pipelines', headers: {}, body: undefined, huge: false });
    const heapBefore = heapAfterGc();
    const started = Date.now();
    await check(
      fc.asyncProperty(fc.array(request$, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const answers = await Promise.all(batch.map((r) => send(base, agent, r)));
        answers.forEach((a, i) => {
          const r = batch[i]!;
          sent++;
          if (a.status === undefined) {
            // Over the limit, the server answers 413 and closes at once; the client may still be
            // writing and see the reset before the answer. Anything else must be answered.
            assert.ok(r.huge, `${r.method} ${r.path} got no answer: ${a.error}`);
            unanswered++;
            return;
          }
          statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
          assert.ok(a.status < 500, `${r.method} ${r.path} [${JSON.stringify(r.headers)}] body ${r.body?.subarray(0, 200).toString('latin1')}: ${a.status}`);
        });
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    await check(
      fc.asyncProperty(rawRequest, async (bytes) => {
        sent++;
        const line = await sendRaw(base, bytes);
        const status = Number(line.split(' ')[1]);
        assert.ok(!(status >= 500), `raw ${JSON.stringify(bytes.subarray(0, 100).toString('latin1'))}: ${line}`);
      }),
      { numRuns: 300 },
    );
    agent.destroy();
    const seconds = (Date.now() - started) / 1000;

    // still serving, and the build queue and records are readable
    const health = await fetch(`${h.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal((await fetch(`${h.url}/api/pipelines`)).status, 200);
    const heapGrowth = heapAfterGc() - heapBefore;
    const summary = { sent, seconds, unanswered, heapGrowthMiB: +(heapGrowth / 2 ** 20).toFixed(1), statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)) };
    console.log(JSON.stringify(summary));
    assert.ok(sent >= 10_000, `only ${sent} requests`);
    // what served 10,000 requests must not be kept: well under the bodies' total size
    assert.ok(heapGrowth < 48 * 2 ** 20, `the heap grew by ${summary.heapGrowthMiB} MiB`);
    // the generators did reach the code behind the routes, not just the 404 handler
    for (const s of [200, 202, 400, 401, 404]) assert.ok((statuses.get(s) ?? 0) > 0, `no ${s} answer at all: ${JSON.stringify(summary.statuses)}`);
  });
});
