// The CLI's client commands against a real server (real Redis, real HTTP), run in-process through
// the same dispatcher as bin.ts.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CliContext } from '../../../cli/context.ts';
import { main } from '../../../cli/main.ts';
import { pipelineYaml, startHarness, TOKEN, type Harness } from '../server/harness.ts';

async function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = process.cwd(), extra: Partial<CliContext> = {}, onOut?: (text: string) => void) {
  let out = '';
  let err = '';
  // No .slipway/token from the checkout: tokens come only from what the test gives.
  const isolated = { SLIPWAY_DATA_DIR: path.join(tmpdir(), 'slipway-cli-test-no-data'), ...env };
  const code = await main(args, { stdout: (t) => void ((out += t), onOut?.(out)), stderr: (t) => void (err += t), env: isolated, cwd, ...extra });
  return { code, out, err };
}

void describe('slipway client commands', () => {
  let h: Harness;
  let server: string[];
  before(async () => {
    h = await startHarness([pipelineYaml('shop', 'http://127.0.0.1:3000/team/shop.git')]);
    server = ['--server', h.url];
  });
  after(async () => h.close());

  const trigger = async (branch: string) => {
    const res = await fetch(`${h.url}/api/pipelines/shop/builds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ branch, sha: 'abcdef1234567' }),
    });
    return ((await res.json()) as { id: string }).id;
  };

  void test('builds lists pipelines and one pipeline\'s builds', async () => {
    const id = await trigger('main');
    const all = await cli(['builds', ...server]);
    assert.equal(all.code, 0, all.err);
    assert.match(all.out, /^PIPELINE\s+LAST BUILD\s+STATUS/);
    assert.match(all.out, new RegExp(`shop\\s+${id}\\s+queued\\s+main`));
    const one = await cli(['builds', 'shop', '--branch', 'main', ...server]);
    assert.match(one.out, new RegExp(`${id}\\s+queued\\s+main\\s+abcdef1\\s+manual`));
    const json = await cli(['builds', 'shop', '--json', ...server]);
    assert.equal((JSON.parse(json.out) as { id: string }[])[0]!.id, id);
    const missing = await cli(['builds', 'nope', ...server]);
    assert.deepEqual([missing.code, missing.err], [1, 'slipway builds: no pipeline nope\n']);
  });

  void test('logs -f follows to the end and exits with the build\'s result', async () => {
    const ok = await trigger('f1');
    await h.logs.append(ok, ['one', 'two']);
    const following = cli(['logs', ok, '-f', ...server]);
    await h.logs.append(ok, ['three']);
    await h.logs.end(ok, 'succeeded');
    const res = await following;
    assert.deepEqual([res.code, res.out], [0, 'one\ntwo\nthree\n']);
    assert.match(res.err, /succeeded/);

    const bad = await trigger('f2');
    await h.logs.append(bad, ['boom']);
    await h.logs.end(bad, 'failed');
    assert.equal((await cli(['logs', bad, '-f', ...server])).code, 1);
    const text = await cli(['logs', bad, ...server]);
    assert.deepEqual([text.code, text.out], [0, 'boom\n']);
  });

  void test('rerun and cancel need the token, then work', async () => {
    const id = await trigger('rr');
    const denied = await cli(['rerun', id, ...server]);
    assert.equal(denied.code, 1);
    assert.match(denied.err, /valid bearer token is required \(give --token or set SLIPWAY_API_TOKEN\)/);
    const rerun = await cli(['rerun', id, ...server], { SLIPWAY_API_TOKEN: TOKEN, USER: 'ada' });
    assert.equal(rerun.code, 0, rerun.err);
    const newId = /^(shop-\d+) queued \(rerun of /.exec(rerun.out)?.[1];
    assert.ok(newId, rerun.out);
    const record = await h.builds.require(newId);
    assert.equal(record.sha, 'abcdef1234567');
    assert.deepEqual(record.trigger, { type: 'rerun', rerunOf: id, by: 'ada' });
    const cancel = await cli(['cancel', newId, ...server, '--token', TOKEN]);
    assert.deepEqual([cancel.code, cancel.out], [0, `${newId} cancelled\n`]);
    assert.equal((await h.builds.require(newId)).status, 'cancelled');
  });

  void test('env ls and env rm', async () => {
    const empty = await cli(['env', 'ls', ...server]);
    assert.equal(empty.code, 0);
    assert.match(empty.out, /^ID\s+STATUS\s+NAMESPACE/);
    const gone = await cli(['env', 'rm', 'shop.nothing', ...server, '--token', TOKEN]);
    assert.deepEqual([gone.code, gone.err], [1, 'slipway env: no environment shop.nothing\n']);
    const usage = await cli(['env', 'frobnicate', ...server]);
    assert.equal(usage.code, 2);
  });

  void test('validate reports every problem with file:line:column and exits 1; schema prints JSON Schema', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-validate-'));
    try {
      await writeFile(path.join(dir, 'bad.yaml'), 'apiVersion: slipway/v1\nkind: Pipeline\nmetadata:\n  name: Nope\n  extra: 1\nsource:\n  repo: http://h/r.git\n');
      await writeFile(path.join(dir, 'good.yaml'), pipelineYaml('fine', 'http://h/fine.git'));
      const res = await cli(['validate'], { SLIPWAY_PIPELINES: dir }, dir);
      assert.equal(res.code, 1);
      assert.equal(
        res.err,
        'bad.yaml:4:9: metadata.name: must be lowercase letters, digits and dashes (a DNS-1123 label)\nbad.yaml:5:3: metadata.extra: unknown key\n2 problems\n',
      );
      const good = await cli(['validate', 'good.yaml'], {}, dir);
      assert.deepEqual([good.code, good.out], [0, '1 pipeline valid: fine\n']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const schema = await cli(['schema']);
    const parsed = JSON.parse(schema.out) as { properties: Record<string, unknown>; required: string[] };
    assert.ok(parsed.properties.source && parsed.properties.deploy);
    assert.deepEqual(parsed.required.sort(), ['apiVersion', 'kind', 'metadata', 'source']);
  });

  void test('logs shows stage headers and colours on a terminal, plain text when piped', async () => {
    const id = await trigger('tty');
    await h.logs.append(id, ['==> test', '\u001b[31mred alert\u001b[0m', 'plain']);
    await h.logs.end(id, 'failed');
    const tty = await cli(['logs', id, '-f', ...server], {}, process.cwd(), { isTTY: true });
    assert.equal(tty.code, 1);
    assert.equal(tty.out, `\n\u001b[1;36m━━ test ${'━'.repeat(36)}\u001b[0m\n\u001b[31mred alert\u001b[0m\nplain\n`);
    assert.equal(tty.err, `build ${id} \u001b[1;31mfailed\u001b[0m\n`);
    const piped = await cli(['logs', id, '-f', ...server]);
    assert.deepEqual([piped.out, piped.err], ['==> test\nred alert\nplain\n', `build ${id} failed\n`]);
    const noColour = await cli(['logs', id, ...server], { NO_COLOR: '1' }, process.cwd(), { isTTY: true });
    assert.equal(noColour.out, '==> test\nred alert\nplain\n');
  });

  void test('builds -w prints each build that changes until stopped; -o json on every list', async () => {
    const stop = new AbortController();
    let seen!: () => void;
    const appeared = new Promise<void>((r) => (seen = r));
    const watching = cli(['builds', 'shop', '--branch', 'watched', '-w', ...server], {}, process.cwd(), { signal: stop.signal }, (out) => {
      if (/queued\s+watched/.test(out) && /cancelled\s+watched/.test(out)) seen();
    });
    await new Promise((r) => setTimeout(r, 300)); // the stream is open
    await trigger('elsewhere'); // another branch: not shown
    const id = await trigger('watched');
    await cli(['cancel', id, ...server, '--token', TOKEN]);
    await appeared;
    stop.abort();
    const res = await watching;
    assert.equal(res.code, 0, res.err);
    const lines = res.out.split('\n').filter((l) => l.startsWith('shop-'));
    assert.deepEqual(lines.map((l) => l.split(/\s+/).slice(0, 3)), [[id, 'queued', 'watched'], [id, 'cancelled', 'watched']]);
    assert.doesNotMatch(res.out, /elsewhere/);

    for (const args of [['builds'], ['builds', 'shop'], ['env', 'ls']]) {
      const json = await cli([...args, '-o', 'json', ...server]);
      assert.equal(json.code, 0, json.err);
      assert.ok(Array.isArray(JSON.parse(json.out)), `${args.join(' ')} -o json is a JSON list`);
    }
    const bad = await cli(['builds', '-o', 'yaml', ...server]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /-o takes json or table/);
  });

  void test('an unknown command is a usage error', async () => {
    const res = await cli(['frobnicate']);
    assert.equal(res.code, 2);
    assert.match(res.err, /unknown command "frobnicate"/);
  });
});
