import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { planFromPipeline, type GitVariant } from '../../../pipelines/plan.ts';
import { Pipeline } from '../../../pipelines/schema.ts';
import { computePlanTag } from '../../../runner/plan-tags.ts';

const now = new Date('2026-12-01T18:04:05.120Z');
const git = (variant: GitVariant) =>
  Promise.resolve({ Tags: 'v1.2.0-3-gabc1234', CommitSha: 'abc1234'.padEnd(40, '0'), AbbrevCommitSha: 'abc1234', TreeSha: 'f'.repeat(40), AbbrevTreeSha: 'fffffff' }[variant]);
const base = { vars: { slipway: { BuildNumber: '42' }, values: { BUILD_NUMBER: '42', STAGE: 'qa' } }, context: '.', git, now };

void test("seed 000's dateTime layout 01/02_15:04:05 yields a valid tag", async () => {
  assert.equal(await computePlanTag({ ...base, policy: { kind: 'dateTime', format: '01/02_15:04:05', timezone: 'UTC' } }), '12-01_18-04-05');
  // Skaffold's default layout, fractional seconds trimmed and the zone's name
  assert.equal(await computePlanTag({ ...base, policy: { kind: 'dateTime', format: '2006-01-02_15-04-05.999_MST', timezone: 'UTC' } }), '2026-12-01_18-04-05.12_UTC');
});

void test('gitCommit variants, prefix, and -dirty unless ignoreChanges', async () => {
  const tag = (variant: GitVariant, extra = {}) => computePlanTag({ ...base, ...extra, policy: { kind: 'gitCommit', variant, prefix: '', ignoreChanges: false } });
  assert.equal(await tag('Tags'), 'v1.2.0-3-gabc1234');
  assert.equal(await tag('AbbrevCommitSha'), 'abc1234');
  assert.equal(await tag('CommitSha'), 'abc1234'.padEnd(40, '0'));
  assert.equal(await tag('AbbrevTreeSha'), 'fffffff');
  assert.equal(await tag('TreeSha', { dirty: true }), `${'f'.repeat(40)}-dirty`);
  assert.equal(await computePlanTag({ ...base, dirty: true, policy: { kind: 'gitCommit', variant: 'AbbrevCommitSha', prefix: 'rel-', ignoreChanges: true } }), 'rel-abc1234');
});

void test("envTemplate sees BUILD_NUMBER and the environment (seed 003's {{.BUILD_NUMBER}}-kiamol); a missing variable is named", async () => {
  assert.equal(await computePlanTag({ ...base, policy: { kind: 'template', template: '{{.BUILD_NUMBER}}-kiamol' } }), '42-kiamol');
  assert.equal(await computePlanTag({ ...base, policy: { kind: 'template', template: '{{ .BuildNumber }}-{{.STAGE}}' } }), '42-qa');
  assert.equal(await computePlanTag({ ...base, policy: { kind: 'template', template: '{{default "dev" .NOPE}}' } }), 'dev');
  await assert.rejects(computePlanTag({ ...base, policy: { kind: 'template', template: '{{.NOPE}}' } }), /\.NOPE has no value/);
});

void test('sha256 tags latest (the digest pins it); customTemplate joins its components', async () => {
  assert.equal(await computePlanTag({ ...base, policy: { kind: 'sha256' } }), 'latest');
  assert.equal(
    await computePlanTag({
      ...base,
      policy: {
        kind: 'customTemplate',
        template: '{{.FOO}}_{{.GIT}}',
        components: { FOO: { kind: 'dateTime', format: '2006', timezone: 'UTC' }, GIT: { kind: 'gitCommit', variant: 'AbbrevCommitSha', prefix: '', ignoreChanges: false } },
      },
    }),
    '2026_abc1234',
  );
});

/** A native pipeline's tagPolicy as its plan has it (planFromPipeline). */
function nativePolicy(tagPolicy: Record<string, unknown>) {
  const pipeline = Pipeline.parse({ apiVersion: 'slipway/v1', kind: 'Pipeline', metadata: { name: 'app' }, source: { repo: 'https://example.test/app.git' }, build: { tagPolicy } });
  return planFromPipeline(pipeline).build.tagPolicy;
}

void test("a native pipeline's tag policies: its template with Slipway's variables, the commit, a date, the inputs' digest", async () => {
  const native = { ...base, vars: { slipway: { BuildNumber: '42', Branch: 'main', Params: { target: 'qa' } }, values: {} } };
  assert.equal(await computePlanTag({ ...native, policy: nativePolicy({ template: '{{ .BuildNumber }}' }) }), '42');
  assert.equal(await computePlanTag({ ...native, policy: nativePolicy({ template: '{{ .BuildNumber }}-{{ .Params.target }}' }) }), '42-qa');
  assert.equal(await computePlanTag({ ...native, policy: nativePolicy({ gitCommit: {} }) }), 'abc1234');
  assert.equal(await computePlanTag({ ...native, policy: nativePolicy({ gitCommit: { variant: 'CommitSha' } }) }), 'abc1234'.padEnd(40, '0'));
  assert.equal(await computePlanTag({ ...native, policy: nativePolicy({ dateTime: { format: '20060102', timezone: 'Asia/Tokyo' } }) }), '20261202');
  await assert.rejects(computePlanTag({ ...native, policy: nativePolicy({ dateTime: { format: '2006', timezone: 'Mars/Olympus' } }) }), /not a known time zone/);
  await assert.rejects(computePlanTag({ ...native, policy: nativePolicy({ template: '{{ .Branch }}/x' }) }), /not a valid tag/);
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-tag-'));
  try {
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM x\n');
    assert.match(await computePlanTag({ ...native, context: dir, policy: nativePolicy({ inputDigest: {} }) }), /^[0-9a-f]{64}$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
