import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Plan } from '../../../../pipelines/plan.ts';
import { devPlan } from '../../../../runner/dev/plan-target.ts';
import { onDefaultRepo } from '../../../../runner/stages/plan.ts';

const plan = (push: boolean): Plan => ({
  build: {
    artifacts: [
      { image: 'base', context: 'base', builder: { kind: 'dockerfile', dockerfile: 'Dockerfile', buildArgs: {} }, requires: [], platforms: [] },
      { image: 'team/app', context: 'app', builder: { kind: 'dockerfile', dockerfile: 'Dockerfile', buildArgs: {} }, requires: [{ image: 'base', alias: 'BASE' }], platforms: [] },
      { image: '127.0.0.1:5000/dev/kept', context: 'kept', builder: { kind: 'dockerfile', dockerfile: 'Dockerfile', buildArgs: {} }, requires: [], platforms: [] },
    ],
    tagPolicy: { kind: 'gitCommit', variant: 'AbbrevCommitSha', prefix: '', ignoreChanges: false },
    push,
    concurrency: 1,
    timeout: '30m',
    cli: 'buildah',
    cache: true,
  },
  tests: [],
  deploys: [],
  statusCheck: { enabled: true, deadlineSeconds: 600, tolerateFailuresUntilDeadline: false },
  profiles: [],
  remoteConfigs: [],
  warnings: [],
});

void test("dev's plan: dev's tag template instead of the tagPolicy, pushed whatever local.push says (and it says so)", () => {
  const lines: string[] = [];
  const p = devPlan(plan(false), 'dev-me-s1-{{ .BuildNumber }}', (l) => void lines.push(l));
  assert.deepEqual(p.build.tagPolicy, { kind: 'template', template: 'dev-me-s1-{{ .BuildNumber }}' });
  assert.equal(p.build.push, true);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /local\.push is false: slipway dev pushes the images anyway/);
  const quiet: string[] = [];
  devPlan(plan(true), 't', (l) => void quiet.push(l));
  assert.deepEqual(quiet, []);
  // its tests run as written; --skip-tests: none, so the build stage's check needs no test tool either
  const tested = { ...plan(true), tests: [{ kind: 'structure' as const, name: 'web structureTests', image: 'web', files: ['s.yaml'], args: [], workdir: '.' }] };
  assert.deepEqual(devPlan(tested, 't', () => undefined).tests, tested.tests);
  assert.deepEqual(devPlan(tested, 't', () => undefined, true).tests, []);
});

void test('the default repo rewrites artifacts and requires alike, remembering the written names; an image under it stays', () => {
  const { plan: p, written } = onDefaultRepo(plan(true), '127.0.0.1:5000/dev');
  assert.deepEqual(p.build.artifacts.map((a) => a.image), ['127.0.0.1:5000/dev/base', '127.0.0.1:5000/dev/team_app', '127.0.0.1:5000/dev/kept']);
  assert.deepEqual(p.build.artifacts[1]!.requires, [{ image: '127.0.0.1:5000/dev/base', alias: 'BASE' }]);
  assert.deepEqual([...written], [['127.0.0.1:5000/dev/base', 'base'], ['127.0.0.1:5000/dev/team_app', 'team/app']]);
  // a test names the image as the file writes it: it is the rewritten one it tests ($IMAGE)
  const tested = { ...plan(true), tests: [{ kind: 'command' as const, name: 'team/app custom[0]', image: 'team/app', command: 'true', workdir: '.' }] };
  const [t0] = onDefaultRepo(tested, '127.0.0.1:5000/dev').plan.tests;
  assert.equal(t0?.kind === 'command' ? t0.image : undefined, '127.0.0.1:5000/dev/team_app');
  const none = onDefaultRepo(plan(true), undefined);
  assert.equal(none.plan.build.artifacts[0]!.image, 'base');
  assert.equal(none.written.size, 0);
});
