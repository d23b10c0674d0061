// The dashboard in a real browser (Debian's chromium through playwright-core) against the whole
// stack `slipway up` runs (server with the dashboard, runner, environment keeper) on the test's own
// Redis prefix and the test cluster: live log lines with colours, Rerun and Cancel after sign-in, a
// failed build's stage, hostile names as text, the environments page's URL and Delete, and pages
// that update from the one event stream without polling. Screenshots go to test-output/ (ignored by git).
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/logger.ts';
import type { BuildRecord, EnvironmentRecord } from '../../core/records.ts';
import { parsePipelines } from '../../pipelines/load.ts';
import type { LoadedPipeline } from '../../pipelines/schema.ts';
import { startRunnerPart, startServerPart, type RunnerPart, type ServerPart } from '../../cli/up/stack.ts';
import { eventually } from '../helpers/eventually.ts';
import { fixtureRepo, type FixtureRepo } from '../helpers/fixture-repo.ts';
import { ROOT, testenv, testRedis, uniqueName, type TestRedis } from '../helpers/testenv.ts';
import { useTestenvProcessEnv } from '../integration/runner/harness.ts';
import { postHook, SECRET } from '../integration/server/harness.ts';

const TOKEN = 'dashboard-token-3e8a';
const SHOTS = path.join(ROOT, 'test-output', 'screenshots');
/** Each browser step waits at most this long for what it expects. */
const STEP = 30_000;
const HOSTILE_BRANCH = '<img/src=x/onerror=window.__xss=1>';
const HOSTILE_MESSAGE = 'Fix <script>window.__xss=2</script> & <b onmouseover="window.__xss=3">bold</b>';

let t: TestRedis;
let repo: FixtureRepo;
let workdir: string;
let server: ServerPart;
let runner: RunnerPart;
let browser: Browser;
let ci: string;
let app: string;

// `ci` runs one test step: red and plain lines; it sleeps while the file `slow` exists and fails
// while `fail` exists. `app` deploys a chart with an Ingress, so its environment has a URL.
function pipelinesYaml(): LoadedPipeline[] {
  const yaml = `apiVersion: slipway/v1
kind: Pipeline
metadata: { name: ${ci} }
source: { repo: "${repo.url}", allowLocal: true, secret: { env: HOOK_SECRET } }
test:
  - name: unit
    run: [sh, -c, "printf '\\\\033[31mred alert\\\\033[0m\\\\n'; echo 'plain <b>line</b>'; if [ -f slow ]; then sleep 120; fi; if [ -f fail ]; then echo 'assertion failed' >&2; exit 3; fi"]
---
apiVersion: slipway/v1
kind: Pipeline
metadata: { name: ${app} }
source: { repo: "${repo.url}", allowLocal: true }
deploy:
  helm:
    releases:
      - name: web
        chartPath: chart
        setValues: { host: "{{ .Namespace }}.example.test" }
environment: { namespace: "{{ .Pipeline }}-{{ .Branch }}", ttl: 1h }
`;
  const { pipelines, errors } = parsePipelines(yaml, 'dashboard.yaml');
  assert.deepEqual(errors, []);
  return pipelines;
}

before(async () => {
  useTestenvProcessEnv();
  t = await testRedis();
  ci = uniqueName('dci');
  app = uniqueName('dapp');
  repo = await fixtureRepo({ 'README.md': 'dashboard\n' });
  await cp(path.join(ROOT, 'test/fixtures/charts/env-app'), path.join(repo.dir, 'chart'), { recursive: true });
  await repo.commit({}, 'add the chart');
  workdir = await mkdtemp(path.join(tmpdir(), 'slipway-dashboard-'));
  await mkdir(SHOTS, { recursive: true });
  const pipelines = pipelinesYaml();
  const config = readConfig(
    {
      SLIPWAY_REDIS_URL: testenv().redisUrl,
      SLIPWAY_PORT: '0',
      SLIPWAY_API_TOKEN: TOKEN,
      SLIPWAY_PUBLIC_URL: 'http://127.0.0.1',
      SLIPWAY_DATA_DIR: workdir,
      SLIPWAY_PIPELINES: workdir,
      SLIPWAY_KEY_PREFIX: t.prefix,
      KUBECONFIG: testenv().kubeconfig,
    },
    workdir,
  );
  const stack = { redis: t.redis, redisUrl: testenv().redisUrl, keys: t.keys, config, log: silentLogger(), env: { ...process.env, HOOK_SECRET: SECRET }, pipelines: () => pipelines };
  server = await startServerPart({ ...stack, port: 0 });
  runner = await startRunnerPart(stack);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await runner?.close(5000);
  await server?.close();
  await t?.cleanup();
  await repo?.cleanup();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

async function api<T>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${p}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${p}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const trigger = (pipeline: string, branch: string) => api<BuildRecord>('POST', `/api/pipelines/${pipeline}/builds`, { branch });
const build = (id: string) => api<BuildRecord>('GET', `/api/builds/${encodeURIComponent(id)}`);
const finished = (id: string) =>
  eventually(async () => {
    const b = await build(id);
    return ['succeeded', 'failed', 'cancelled'].includes(b.status) ? b : undefined;
  }, `build ${id} finished`, 120_000);

async function open(url: string): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP);
  page.on('pageerror', (err) => assert.fail(`page error on ${url}: ${err.message}`));
  await page.goto(`${server.url}${url}`);
  await page.locator('body[data-ready="true"]').waitFor();
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('API token').fill('wrong-token');
  await page.getByRole('dialog').getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'not this server' }).waitFor();
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('dialog').getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#session').getByText('Signed in').waitFor();
}

/** The branch `slow`, whose build sleeps in its test step (made once). */
let slowMade: Promise<void> | undefined;
function slowBranch(): Promise<string> {
  slowMade ??= (async () => {
    await repo.branch('slow');
    await repo.commit({ slow: 'yes\n' }, 'slow down');
    await repo.branch('main');
  })();
  return slowMade.then(() => 'slow');
}

/**
 * Holds the page's first answer from `url` (a glob) as the server gave it, until `release()`: the
 * order in which a busy browser takes in an answer and the event stream is not the order the
 * server sent them. `answered` resolves once the server's answer is in hand.
 */
async function holdFirstAnswer(page: Page, url: string): Promise<{ answered: Promise<void>; release: () => void }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let answeredNow!: () => void;
  const answered = new Promise<void>((resolve) => (answeredNow = resolve));
  let held = 0;
  await page.route(url, async (route) => {
    if (held++ > 0) return route.continue();
    const answer = await route.fetch();
    answeredNow();
    await released;
    await route.fulfill({ response: answer });
  });
  return { answered, release };
}

/**
 * Opens a second event stream in the page, to tell when the event of build (or environment, by
 * `kind`) `id` reaching `status` has reached the page (the page itself may show nothing of it
 * yet). Resolves once that stream listens, to a function that resolves once the event has come.
 */
async function watchForEvent(page: Page, id: string, status: string, kind: 'build' | 'environment' = 'build'): Promise<() => Promise<unknown>> {
  await page.evaluate(`new Promise((listening) => {
    const probe = new EventSource('/api/events');
    window.eventSeen = new Promise((seen) => probe.addEventListener(${JSON.stringify(kind)}, (ev) => {
      const b = JSON.parse(ev.data);
      if (b.id === ${JSON.stringify(id)} && b.status === ${JSON.stringify(status)}) seen(probe.close());
    }));
    probe.addEventListener('hello', () => listening());
  })`);
  return () => page.evaluate('window.eventSeen');
}

/** Waits until build `id`'s step has printed its lines (it sleeps from then on, on the branch `slow`). */
const stepRuns = (id: string) =>
  eventually(async () => ((await (await fetch(`${server.url}/api/builds/${id}/log`)).text()).includes('plain <b>line</b>') ? true : undefined), 'the step runs', 60_000);

/** A new page at `url` whose first answer from `held` (a glob) is in hand and held back (see holdFirstAnswer). */
async function openHeld(url: string, held: string): Promise<{ page: Page; release: () => void }> {
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP);
  page.on('pageerror', (err) => assert.fail(`page error on ${url}: ${err.message}`));
  const read = await holdFirstAnswer(page, held);
  await page.goto(`${server.url}${url}`);
  await read.answered;
  return { page, release: read.release };
}

const heading = (page: Page) => page.getByRole('heading', { level: 1 });

void describe('the dashboard', { timeout: 10 * 60_000 }, () => {
  void test('a running build\'s log lines arrive live, colours as styled text; Cancel (after sign-in) ends it', { timeout: 150_000 }, async () => {
    const running = await trigger(ci, await slowBranch());
    const page = await open(`/builds/${running.id}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(`${ci} #${running.number}`) }).waitFor();
    const red = page.locator('#log .line .ansi-red-fg', { hasText: 'red alert' });
    await red.waitFor();
    assert.equal(await page.evaluate("getComputedStyle(document.querySelector('#log .ansi-red-fg')).color"), 'rgb(255, 123, 114)', 'the red escape is a colour');
    const logText = await page.locator('#log').innerText();
    assert.ok(!logText.includes('\u001b'), `no escape codes are shown: ${logText}`);
    assert.equal(await page.locator('#log .line .text').filter({ has: page.locator('.ansi-red-fg') }).innerText(), 'red alert', 'the coloured line reads as its text');
    await page.locator('#log .line .text').getByText('plain <b>line</b>', { exact: true }).waitFor(); // markup in a line is text
    assert.equal(await page.locator('#log b').count(), 0);
    const lineLink = page.locator('#log .line a.ln').first();
    assert.match((await lineLink.getAttribute('href')) ?? '', /^#L\d+$/);
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'running' }).waitFor();

    // without the token, the buttons say why they are disabled
    const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    assert.equal(await cancel.isDisabled(), true);
    assert.match(await page.locator('#actions-why').innerText(), /Sign in/);
    await signIn(page);
    await shot(page, 'build-running');
    assert.doesNotMatch(await page.locator('main').innerText(), /\b(null|undefined|NaN)\b/, 'no placeholder leaks into the page');
    assert.equal(await cancel.isDisabled(), false);
    await cancel.click();
    await page.getByRole('heading', { level: 1 }).filter({ hasText: 'cancelled' }).waitFor({ timeout: 60_000 });
    await page.locator('#log .end', { hasText: 'build cancelled' }).waitFor({ timeout: 60_000 });
    assert.equal((await finished(running.id)).status, 'cancelled');
    assert.equal(await cancel.isDisabled(), true, 'a finished build cannot be cancelled');
    await page.close();
  });

  // The answer to Cancel carries the record as it was when the stop was asked (running, stop
  // requested); the runner's final event can reach the page before it.
  void test('Cancel\'s answer arriving after the build\'s end leaves the page showing it cancelled', { timeout: 150_000 }, async () => {
    const running = await trigger(ci, await slowBranch());
    const page = await open(`/builds/${running.id}`);
    await page.locator('#log .line .text').getByText('plain <b>line</b>', { exact: true }).waitFor(); // the step sleeps now
    await signIn(page);
    const answer = await holdFirstAnswer(page, `**/api/builds/${running.id}/cancel`);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await answer.answered;
    await heading(page).filter({ hasText: 'cancelled' }).waitFor({ timeout: 60_000 }); // the final event
    answer.release();
    await page.locator('#announce').filter({ hasText: 'Stop requested' }).waitFor(); // the answer is taken in
    assert.match(await heading(page).innerText(), /cancelled/, 'the page went back to the state the answer carried');
    assert.equal(await page.getByRole('button', { name: 'Cancel', exact: true }).isDisabled(), true);
    await page.close();
  });

  void test('a build page whose first read is answered before the build ends, and arrives after its final event, shows it ended', { timeout: 150_000 }, async () => {
    const running = await trigger(ci, await slowBranch());
    await stepRuns(running.id);
    const { page, release } = await openHeld(`/builds/${running.id}`, `**/api/builds/${running.id}`); // running
    const finalSeen = await watchForEvent(page, running.id, 'cancelled');
    await api('POST', `/api/builds/${running.id}/cancel`);
    assert.equal((await finished(running.id)).status, 'cancelled');
    await finalSeen();
    release();
    await page.locator('body[data-ready="true"]').waitFor();
    await heading(page).filter({ hasText: 'cancelled' }).waitFor({ timeout: 10_000 });
    await page.close();
  });

  // The same on the lists: the final event comes while their read (running) is being answered.
  void test('the pipelines page and a pipeline\'s builds list, whose reads are answered before a build ends and arrive after its final event, show it ended', { timeout: 150_000 }, async () => {
    const running = await trigger(ci, await slowBranch());
    await stepRuns(running.id);
    const home = await openHeld('/', '**/api/pipelines');
    const list = await openHeld(`/pipelines/${ci}`, `**/api/pipelines/${ci}/builds?*`);
    const seen = [await watchForEvent(home.page, running.id, 'cancelled'), await watchForEvent(list.page, running.id, 'cancelled')];
    await api('POST', `/api/builds/${running.id}/cancel`);
    assert.equal((await finished(running.id)).status, 'cancelled');
    for (const finalSeen of seen) await finalSeen();
    home.release();
    list.release();
    const rows = {
      'the pipelines page': home.page.locator(`section[data-pipeline="${ci}"] tr[data-ref="slow"]`),
      'the builds list': list.page.locator(`tr[data-id="${running.id}"]`),
    };
    const shown: string[] = [];
    for (const [where, row] of Object.entries(rows)) {
      await row.page().locator('body[data-ready="true"]').waitFor();
      await row.getByRole('link', { name: `#${running.number}`, exact: true }).waitFor();
      await row.locator('.status').filter({ hasText: 'cancelled' }).waitFor({ timeout: 10_000 }).catch(() => undefined);
      shown.push(`${where}: #${running.number} ${await row.locator('.status').innerText()}`);
    }
    assert.deepEqual(shown, Object.keys(rows).map((where) => `${where}: #${running.number} cancelled`));
    await home.page.close();
    await list.page.close();
  });

  void test('Rerun after sign-in creates build N+1 and opens it; a failed build opens with its failed stage', { timeout: 150_000 }, async () => {
    await repo.branch('broken');
    await repo.commit({ fail: 'yes\n' }, 'break it');
    await repo.branch('main');
    const failed = await finished((await trigger(ci, 'broken')).id);
    assert.equal(failed.status, 'failed');
    const page = await open(`/builds/${failed.id}`);
    const selected = page.locator('ol.stages button[aria-pressed="true"]');
    await selected.waitFor();
    assert.match(await selected.innerText(), /^test[\s\S]*failed/);
    assert.match(await page.locator('.stage-error').innerText(), /exit|3|failed/i);
    await shot(page, 'build-failed');
    // a line's anchor opens the log at that line, with Follow off
    const anchored = await open(`/builds/${failed.id}#L3`);
    await anchored.locator('#L3.target').waitFor();
    assert.equal(await anchored.getByLabel('Follow').isChecked(), false);
    assert.equal(await anchored.locator('#L3 a.ln').getAttribute('href'), '#L3');
    assert.equal(await anchored.getByRole('link', { name: 'Raw log' }).getAttribute('href'), `/api/builds/${failed.id}/log`);
    await anchored.close();

    await signIn(page);
    await page.getByRole('button', { name: 'Rerun' }).click();
    await page.waitForURL(new RegExp(`/builds/${ci}-${failed.number + 1}$`));
    await page.getByRole('heading', { level: 1, name: new RegExp(`${ci} #${failed.number + 1}`) }).waitFor();
    await page.getByText(`#${failed.number}`, { exact: true }).first().waitFor(); // "re-run of #N"
    const rerun = await build(`${ci}-${failed.number + 1}`);
    assert.deepEqual([rerun.trigger.type, rerun.trigger.rerunOf, rerun.sha], ['rerun', failed.id, failed.sha]);
    await page.close();
  });

  void test('a hostile branch name and commit message render as text', { timeout: 60_000 }, async () => {
    const sha = await repo.head();
    const res = await postHook(server.url, 'gogs', {
      ref: `refs/heads/${HOSTILE_BRANCH}`,
      before: '0'.repeat(40),
      after: sha,
      repository: { clone_url: repo.url, html_url: repo.url },
      pusher: { username: 'mallory' },
      commits: [{ id: sha, message: HOSTILE_MESSAGE, author: { name: '<i>Mallory</i>' }, added: [], removed: [], modified: [] }],
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = (res.body.builds as { id: string }[]).find((b) => b.id.startsWith(ci))!.id;
    for (const url of ['/', `/pipelines/${ci}`, `/builds/${id}`]) {
      const page = await open(url);
      await page.getByText(HOSTILE_BRANCH, { exact: true }).first().waitFor();
      if (url !== '/') await page.getByText(HOSTILE_MESSAGE).first().waitFor();
      if (url.startsWith('/builds/')) {
        await page.getByText('<i>Mallory</i>', { exact: true }).waitFor();
        await page.getByText('push by mallory').waitFor();
        await shot(page, 'build-hostile');
      }
      assert.equal(await page.evaluate('typeof window.__xss'), 'undefined', `no markup ran on ${url}`);
      assert.equal(await page.locator('main img:not(.badge), main script, main i').count(), 0);
      await page.close();
    }
    await finished(id);
  });

  void test('an open page updates when a new build arrives, with no polling requests', { timeout: 120_000 }, async () => {
    const home = await open('/');
    const list = await open(`/pipelines/${ci}`);
    await home.locator(`section[data-pipeline="${ci}"]`).waitFor();
    const requests: string[] = [];
    for (const p of [home, list]) p.on('request', (r) => requests.push(r.url()));
    await new Promise((r) => setTimeout(r, 1500)); // a polling page would ask again meanwhile
    const branch = uniqueName('live');
    await repo.branch(branch);
    await repo.branch('main');
    const created = await trigger(ci, branch);
    await home.locator(`section[data-pipeline="${ci}"] tr[data-ref="${branch}"]`).waitFor();
    await list.locator(`tr[data-id="${created.id}"]`).waitFor();
    await list.locator(`tr[data-id="${created.id}"] .status-succeeded`).waitFor({ timeout: 90_000 });
    assert.deepEqual(requests, [], 'the pages asked nothing: the event stream brought the build');
    await shot(home, 'pipelines');
    await shot(list, 'pipeline');

    // the pipeline page filters by branch and status, newest first, with stable URLs
    await list.getByLabel('Branch').fill(branch);
    await list.getByRole('button', { name: 'Filter' }).click();
    await list.waitForURL(new RegExp(`branch=${branch}`));
    await list.locator('body[data-ready="true"]').waitFor();
    assert.deepEqual(await list.evaluate("[...document.querySelectorAll('main tbody tr')].map((r) => r.dataset.id)"), [created.id]);
    await home.close();
    await list.close();
  });

  void test('every page has one h1, named landmarks and controls, and a keyboard path to its content', { timeout: 60_000 }, async () => {
    const latest = await trigger(ci, 'main');
    for (const url of ['/', `/pipelines/${ci}`, `/builds/${latest.id}`, '/environments']) {
      const page = await open(url);
      assert.equal(await page.locator('h1').count(), 1, `${url}: one h1`);
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 1);
      assert.equal(await page.getByRole('main').count(), 1);
      // every form control has a label, every button a name, every image an alt
      const unlabelled = await page.evaluate(
        "[...document.querySelectorAll('input, select')].filter((e) => !e.labels?.length && !e.getAttribute('aria-label')).length",
      );
      assert.equal(unlabelled, 0, `${url}: every control is labelled`);
      assert.equal(await page.evaluate("[...document.querySelectorAll('button')].filter((b) => !b.textContent.trim() && !b.getAttribute('aria-label')).length"), 0);
      assert.equal(await page.evaluate("[...document.querySelectorAll('img')].filter((i) => !i.hasAttribute('alt')).length"), 0);
      // the first Tab reaches the skip link, which moves focus to the content
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate('document.activeElement.id'), 'main');
      await page.close();
    }
    await finished(latest.id);
  });

  // The environments page's read (the environment ready) is answered before its teardown ends, and
  // arrives after the teardown's event: the environment stays gone.
  void test('the environments page, whose read is answered before a teardown ends and arrives after its event, does not bring the environment back', { timeout: 240_000 }, async () => {
    await repo.branch('race');
    await repo.branch('main');
    const deployed = await finished((await trigger(app, 'race')).id);
    assert.equal(deployed.status, 'succeeded', await (await fetch(`${server.url}/api/builds/${deployed.id}/log`)).text());
    const namespace = deployed.environment!.namespace;
    const env = (await api<{ environments: EnvironmentRecord[] }>('GET', '/api/environments')).environments.find((e) => e.namespace === namespace);
    assert.equal(env?.status, 'ready');
    const { page, release } = await openHeld('/environments', '**/api/environments'); // ready
    const deletedSeen = await watchForEvent(page, env.id, 'deleted', 'environment');
    await api('DELETE', `/api/environments/${encodeURIComponent(env.id)}`);
    await deletedSeen();
    release();
    await page.locator('body[data-ready="true"]').waitFor();
    const rows = await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('th')?.textContent));
    assert.ok(!rows.includes(namespace), `${namespace} is not listed again: ${rows.join(', ')}`);
    await page.close();
  });

  void test('the environments page links the URL and Delete tears the environment down', { timeout: 240_000 }, async () => {
    const deployed = await finished((await trigger(app, 'main')).id);
    assert.equal(deployed.status, 'succeeded', await (await fetch(`${server.url}/api/builds/${deployed.id}/log`)).text());
    const namespace = deployed.environment!.namespace;
    const page = await open('/environments');
    const row = page.locator('tr', { has: page.getByRole('rowheader', { name: namespace }) });
    await row.waitFor();
    const link = row.getByRole('link', { name: `http://${namespace}.example.test/` });
    assert.equal(await link.getAttribute('href'), `http://${namespace}.example.test/`);
    assert.equal(await row.getByRole('link', { name: `#${deployed.number}` }).getAttribute('href'), `/builds/${deployed.id}`);
    await shot(page, 'environments');
    assert.equal(await row.getByRole('button', { name: `Delete ${namespace}` }).isDisabled(), true);
    await signIn(page);
    page.once('dialog', (d) => {
      assert.match(d.message(), new RegExp(`Delete the environment ${namespace}`));
      void d.accept();
    });
    await row.getByRole('button', { name: `Delete ${namespace}` }).click();
    await row.waitFor({ state: 'detached', timeout: 120_000 });
    const envs = await api<{ environments: EnvironmentRecord[] }>('GET', '/api/environments?include=deleted');
    assert.equal(envs.environments.find((e) => e.namespace === namespace)?.status, 'deleted');
    await eventually(async () => {
      const res = await fetch(`${server.url}/api/environments`);
      const { environments } = (await res.json()) as { environments: EnvironmentRecord[] };
      return environments.every((e) => e.namespace !== namespace) ? true : undefined;
    }, 'the deleted environment leaves the list', 10_000);
    await page.close();
  });
});
