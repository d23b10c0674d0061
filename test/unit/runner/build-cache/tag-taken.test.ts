// The immutable-tag error gives the likely cause for the tag policy the tag came from: a
// restarted build number only when the tag is made from the build number.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TagTakenError } from '../../../../runner/build-cache/cached-build.ts';

const ref = 'registry.example.com/team/app:1';
const digest = `sha256:${'a'.repeat(64)}`;
const message = (policy: ConstructorParameters<typeof TagTakenError>[2]) => new TagTakenError(ref, digest, policy).message;

void test('a tag from the build number: the build numbers restarted', () => {
  for (const template of ['{{ .BuildNumber }}', 'v-{{.BUILD_NUMBER}}', '{{ .Branch }}-{{ .BuildNumber }}', '{{.BUILD_ID}}']) {
    assert.equal(
      message({ kind: 'template', template }),
      `${ref} already exists in the registry as ${digest}, and image tags are immutable: this build would overwrite it. Build numbers restarted (a fresh data folder or Redis)? Delete the old tag, or use another image name or tagPolicy`,
      template,
    );
  }
  // Skaffold's customTemplate, through a component
  assert.match(message({ kind: 'customTemplate', template: '{{.N}}', components: { N: { kind: 'template', template: '{{.BUILD_NUMBER}}' } } }), /Build numbers restarted/);
});

void test('a tag from the commit, the time, the files or a template without the number: no word of build numbers, the cause that fits', () => {
  const commit = message({ kind: 'gitCommit', variant: 'AbbrevCommitSha', prefix: '', ignoreChanges: false });
  assert.equal(
    commit,
    `${ref} already exists in the registry as ${digest}, and image tags are immutable: this build would overwrite it. ` +
      'The same commit was built and pushed under this tag before, with different content (another build argument, base image or builder): a tag policy that gives different content the same tag. Delete the old tag, or use another image name or tagPolicy',
  );
  assert.match(message({ kind: 'dateTime', format: '2006-01-02', timezone: 'UTC' }), /Another build was tagged with the same time: tagPolicy\.dateTime's format does not tell these builds apart\. Delete/);
  assert.match(message({ kind: 'inputDigest' }), /The same files were built and pushed under this tag before, with different content/);
  assert.match(message({ kind: 'template', template: '{{ .Branch }}' }), /The tag template names no build number: builds with the same values get the same tag\. Delete/);
  // a component the template does not name does not count
  assert.match(message({ kind: 'customTemplate', template: '{{.GIT}}', components: { GIT: { kind: 'gitCommit', variant: 'Tags', prefix: '', ignoreChanges: false }, N: { kind: 'template', template: '{{.BUILD_NUMBER}}' } } }), /names no build number/);
  for (const m of [commit, message({ kind: 'inputDigest' })]) assert.doesNotMatch(m, /Build numbers restarted/);
});
