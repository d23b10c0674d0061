// `slipway validate` checks source.repo as checkout will: a file:// URL without
// source.allowLocal: true is an error at the line of source.repo, not a pipeline reported valid
// whose every build then fails at checkout.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { validate } from '../../../../cli/commands/validate.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-validate-source-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await validate.run(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, cwd: dir });
  return { code, out, err };
}

const pipeline = (name: string, source: string) => `apiVersion: slipway/v1\nkind: Pipeline\nmetadata: { name: ${name} }\nsource:\n${source}\n`;

void test('slipway validate: a file:// source without allowLocal is the error checkout gives, at source.repo; with allowLocal it is valid', async () => {
  // the second of two pipelines in one file: the line is that pipeline's
  await writeFile(
    path.join(dir, 'local.yaml'),
    [pipeline('remote', '  repo: https://git.example.com/team/app.git'), pipeline('local', '  secret: { env: GIT_TOKEN }\n  repo: file:///srv/git/app.git')].join('---\n'),
  );
  await writeFile(path.join(dir, 'allowed.yaml'), pipeline('allowed', '  repo: file:///srv/git/app.git\n  allowLocal: true'));
  await writeFile(path.join(dir, 'bare.yaml'), pipeline('bare', '  repo: /srv/git/app.git'));
  const res = await run('local.yaml', 'allowed.yaml', 'bare.yaml');
  assert.equal(res.code, 1);
  assert.equal(
    res.err,
    [
      'local.yaml:12:9: source.repo: file:// repository URLs need source.allowLocal: true in the pipeline',
      'bare.yaml:5:9: source.repo: repository URL must be http(s)://, ssh://, git:// (or file:// with source.allowLocal)',
      '2 problems',
      '',
    ].join('\n'),
  );
  const ok = await run('allowed.yaml');
  assert.deepEqual([ok.code, ok.out, ok.err], [0, '1 pipeline valid: allowed\n', '']);
});
