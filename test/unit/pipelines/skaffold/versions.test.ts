// Each file is read with the schema of its own apiVersion: a field of a newer (or an older)
// version is an unknown-key error at its file:line:column, as Skaffold's strict parse makes it,
// from the one table in pipelines/skaffold/versions.ts.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { formatProblem } from '../../../../core/errors.ts';
import { parseSkaffold } from '../../../../pipelines/skaffold/parse.ts';
import { FIELD_VERSIONS, fieldVersionProblem, isBefore, versionIndex } from '../../../../pipelines/skaffold/versions.ts';
import { ROOT } from '../../../helpers/testenv.ts';

const DIR = path.join(ROOT, 'test/fixtures/skaffold/versions');
const parse = async (name: string) => parseSkaffold(await readFile(path.join(DIR, name), 'utf8'), name);

void test('a v1beta11 file using fields of later versions: each one an error at its place, setValueTemplates (v1beta11 has it) not', async () => {
  const res = await parse('v1beta11-newer-fields.yaml');
  assert.deepEqual(res.configs, []);
  assert.deepEqual(res.errors.map(formatProblem), [
    'v1beta11-newer-fields.yaml:3:1: metadata: unknown key in skaffold/v1beta11 (skaffold/v1beta14 has it)',
    'v1beta11-newer-fields.yaml:6:3: build.platforms: unknown key in skaffold/v1beta11 (added in skaffold/v2beta27)',
    'v1beta11-newer-fields.yaml:10:7: build.tagPolicy.gitCommit.prefix: unknown key in skaffold/v1beta11 (skaffold/v2beta6 has it)',
    'v1beta11-newer-fields.yaml:12:5: build.local.concurrency: unknown key in skaffold/v1beta11 (skaffold/v2beta1 has it)',
    'v1beta11-newer-fields.yaml:15:7: build.artifacts[0].requires: unknown key in skaffold/v1beta11 (skaffold/v2beta10 has it)',
    'v1beta11-newer-fields.yaml:21:5: test[0].custom: unknown key in skaffold/v1beta11 (skaffold/v2beta15 has it)',
    'v1beta11-newer-fields.yaml:24:3: deploy.statusCheckDeadlineSeconds: unknown key in skaffold/v1beta11 (skaffold/v1beta14 has it)',
    'v1beta11-newer-fields.yaml:31:9: deploy.helm.releases[0].createNamespace: unknown key in skaffold/v1beta11 (skaffold/v2beta10 has it)',
    'v1beta11-newer-fields.yaml:36:9: profiles[0].deploy.kubectl.defaultNamespace: unknown key in skaffold/v1beta11 (skaffold/v2beta9 has it)',
  ]);
});

void test('the same fields in the last v2 schema are fine, and upgrade as usual', async () => {
  const res = await parse('v2beta29-valid.yaml');
  assert.deepEqual(res.errors, []);
  assert.equal(res.configs.length, 1);
  assert.deepEqual(res.configs[0]!.config.manifests?.rawYaml, ['k8s/*.yaml']);
  assert.deepEqual(res.configs[0]!.config.build?.platforms, ['linux/amd64']);
});

void test('fields of v4 in a v2beta26 file, and one v2beta26 no longer has (helm remote); inputDigest (v2beta26 has it) passes', async () => {
  const res = await parse('v2beta26-v4-fields.yaml');
  assert.deepEqual(res.errors.map(formatProblem), [
    'v2beta26-v4-fields.yaml:8:7: build.artifacts[0].platforms: unknown key in skaffold/v2beta26 (skaffold/v2beta27 has it)',
    'v2beta26-v4-fields.yaml:9:7: build.artifacts[0].runtimeType: unknown key in skaffold/v2beta26 (skaffold/v4beta14 has it)',
    'v2beta26-v4-fields.yaml:11:3: deploy.tolerateFailuresUntilDeadline: unknown key in skaffold/v2beta26 (skaffold/v4beta13 has it)',
    'v2beta26-v4-fields.yaml:16:9: deploy.helm.releases[0].remote: unknown key in skaffold/v2beta26 (skaffold/v2beta15 no longer has it)',
    'v2beta26-v4-fields.yaml:17:9: deploy.helm.releases[0].skipTests: unknown key in skaffold/v2beta26 (skaffold/v4beta14 has it)',
  ]);
});

void test('the layouts: manifests in a v2beta29 file, deploy.kubectl.manifests in a v4beta file', () => {
  const v2 = parseSkaffold('apiVersion: skaffold/v2beta29\nkind: Config\nmanifests:\n  rawYaml: [k8s/*.yaml]\n', 'a.yaml');
  assert.deepEqual(v2.errors.map(formatProblem), ['a.yaml:3:1: manifests: unknown key']);
  const v4 = parseSkaffold('apiVersion: skaffold/v4beta3\nkind: Config\ndeploy:\n  kubectl:\n    manifests: [k8s/*.yaml]\n', 'b.yaml');
  assert.deepEqual(v4.errors.map(formatProblem), ['b.yaml:5:5: deploy.kubectl.manifests: unknown key']);
});

void test('the table: every bound is a version Slipway reads, exact bounds need no `seen`/`gone`, lenient ones name one on the right side', () => {
  for (const f of FIELD_VERSIONS) {
    for (const v of [f.since, f.until, f.seen, f.gone]) if (v) assert.ok(versionIndex(v) >= 0, `${f.path}: ${v}`);
    assert.ok(f.since || f.until, f.path);
    if (!f.exact && f.since) assert.ok(f.seen, `${f.path} is lenient and names no version read to have it`);
    if (!f.exact && f.until) assert.ok(f.gone, `${f.path} is lenient and names no version read not to have it`);
    // a version read to have the field is not before `since` (nor at or after `until`); one read not to have it any more is not before `until`
    if (f.seen && f.since) assert.ok(!isBefore(f.seen, f.since), f.path);
    if (f.seen && f.until) assert.ok(isBefore(f.seen, f.until), f.path);
    if (f.gone) assert.ok(f.until && !isBefore(f.gone, f.until), f.path);
    if (f.until) assert.ok(fieldVersionProblem(f, f.until), `${f.path} in ${f.until}`);
    if (f.since) assert.equal(fieldVersionProblem(f, f.since), undefined, `${f.path} in ${f.since}`);
  }
  assert.equal(new Set(FIELD_VERSIONS.map((f) => f.path)).size, FIELD_VERSIONS.length, 'one row per path');
});
