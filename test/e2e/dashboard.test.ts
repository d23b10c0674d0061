// The dashboard in a real browser (Debian's chromium through playwright-core): it lists builds
// and environments from the API, shows a build's log live over SSE when clicked, and renders
// hostile branch names as text.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { createQueues, type Queues } from '../../core/queue.ts';
import { BuildStore } from '../../core/build-store.ts';
import { LogStream } from '../../core/log-stream.ts';
import { silentLogger } from '../../core/logger.ts';
import { parsePipelines } from '../../pipelines/load.ts';
import { createServer, listen } from '../../server/create-server.ts';
import { createDashboard } from '../../server/ui/dashboard.ts';
import { bullConnection } from '../../core/bull-connection.ts';
import { testenv, testRedis } from '../helpers/testenv.ts';

const HOSTILE = '<img src=x onerror="window.__xss=1">';
let t: Awaited<ReturnType<typeof testRedis>>;
let queues: Queues;
let url: string;
let stopHttp: () => Promise<void>;
let browser: Browser;

before(async () => {
  t = await testRedis();
  queues = createQueues(bullConnection(testenv().redisUrl), t.bullPrefix);
  const { pipelines } = parsePipelines(
    'apiVersion: slipway/v1\nkind: Pipeline\nmetadata: { name: shop }\nsource: { repo: "http://127.0.0.1:1/shop.git" }\n',
    'shop.yaml',
  );
  const server = createServer({
    redis: t.redis,
    keys: t.keys,
    queues,
    pipelines,
    config: { apiToken: 'dashboard-token', publicUrl: 'http://127.0.0.1' },
    log: silentLogger(),
    extend: (app) => app.use(createDashboard()),
  });
  const l = await listen(server, 0, '127.0.0.1');
  url = l.url;
  stopHttp = async () => {
    server.close();
    l.server.closeAllConnections();
    await new Promise<void>((r) => l.server.close(() => r()));
  };
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await stopHttp?.();
  await queues?.close();
  await t?.cleanup();
});

void test('the dashboard lists builds, follows a log live, and shows hostile names as text', async () => {
  const store = new BuildStore(t.redis, t.keys);
  const logs = new LogStream(t.redis, t.keys);
  const build = await store.create({ pipeline: 'shop', trigger: { type: 'push' }, repo: 'http://127.0.0.1:1/shop.git', branch: HOSTILE, sha: 'a'.repeat(40) });
  await store.update(build.id, (r) => ({ ...r, status: 'running' }));
  await logs.append(build.id, ['==> checkout', 'checked out aaaaaaaa']);

  const page = await browser.newPage();
  await page.goto(`${url}/`);
  const row = page.locator('tr.build', { hasText: build.id });
  await row.waitFor();
  assert.match(await row.innerText(), /running/);
  assert.ok((await row.innerText()).includes(HOSTILE), 'the branch name is shown as it is');

  await row.click();
  await page.locator('#log-text', { hasText: 'checked out aaaaaaaa' }).waitFor();
  // lines written after the page opened arrive over SSE, then the final status
  await logs.append(build.id, ['==> build', 'pushed shop:1']);
  await store.update(build.id, (r) => ({ ...r, status: 'succeeded' }));
  await logs.end(build.id, 'succeeded');
  await page.locator('#log-text', { hasText: '--- build succeeded ---' }).waitFor();
  const text = await page.locator('#log-text').innerText();
  assert.ok(text.indexOf('pushed shop:1') > text.indexOf('checked out aaaaaaaa'), text);

  assert.equal(await page.evaluate('typeof window.__xss'), 'undefined', 'no markup from a branch name ran');
  await page.close();

  // the commit status's target_url, <public URL>/builds/<id>, opens that build's log
  const linked = await browser.newPage();
  await linked.goto(`${url}/builds/${encodeURIComponent(build.id)}`);
  await linked.locator('#log-text', { hasText: '--- build succeeded ---' }).waitFor();
  assert.match(await linked.locator('#log-title').innerText(), new RegExp(build.id));
  await linked.close();
});
