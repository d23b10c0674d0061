import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ConfigError, formatProblem } from '../../../../core/errors.ts';
import { imageTemplateValues } from '../../../../runner/deployers/image-values.ts';
import { manifestStream, parseManifests, prepareManifests, replaceImagesInText, splitImage } from '../../../../runner/deployers/manifests.ts';
import { ROOT } from '../../../helpers/testenv.ts';

const built = { name: 'hello-web', ref: `127.0.0.1:5000/x/hello-web:12-01_18-04-05@sha256:${'a'.repeat(64)}` };
const images = [{ name: 'hello-web', ref: `hello-web:7@sha256:${'b'.repeat(64)}` }, { name: '127.0.0.1:5000/team/api', ref: `127.0.0.1:5000/team/api:7@sha256:${'c'.repeat(64)}` }];
const input = { namespace: 'shop-main', images, labels: { 'slipway.dev/pipeline': 'shop', 'slipway.dev/environment': 'shop-main' } };

void test('image references split into repository, tag and digest (a registry port is not a tag)', () => {
  assert.deepEqual(splitImage('127.0.0.1:5000/team/api:7'), { repo: '127.0.0.1:5000/team/api', tag: '7' });
  assert.deepEqual(splitImage('127.0.0.1:5000/team/api'), { repo: '127.0.0.1:5000/team/api' });
  assert.deepEqual(splitImage(`api@sha256:${'c'.repeat(64)}`), { repo: 'api', digest: `sha256:${'c'.repeat(64)}` });
});

void test("seed 000's Deployment: its image (tag ignored) becomes the built repo:tag@digest, in the environment namespace, labelled", async () => {
  const text = await readFile(path.join(ROOT, 'test/fixtures/skaffold/seed000/k8s/deployment.yaml'), 'utf8');
  const [dep] = prepareManifests(parseManifests(text, 'k8s/deployment.yaml'), { ...input, images: [built] });
  const obj = dep!.object as { metadata: { namespace: string; labels: Record<string, string> }; spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };
  assert.equal(obj.spec.template.spec.containers[0]!.image, built.ref);
  assert.equal(obj.spec.replicas, 3);
  assert.equal(obj.metadata.namespace, 'shop-main');
  assert.deepEqual(obj.metadata.labels, input.labels);
});

void test('only images whose repository is an artifact are replaced; digest-pinned images are left alone', () => {
  const text = `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  initContainers:
    - { name: init, image: "127.0.0.1:5000/team/api" }
  containers:
    - { name: a, image: "hello-web:latest" }
    - { name: b, image: "hello-web@sha256:${'d'.repeat(64)}" }
    - { name: c, image: "busybox:1.36" }
    - { name: d, image: "team/hello-web:1" }
`;
  const [pod] = prepareManifests(parseManifests(text, 'pod.yaml'), input);
  const spec = (pod!.object as { spec: { initContainers: { image: string }[]; containers: { image: string }[] } }).spec;
  assert.equal(spec.initContainers[0]!.image, images[1]!.ref);
  assert.deepEqual(spec.containers.map((c) => c.image), [images[0]!.ref, `hello-web@sha256:${'d'.repeat(64)}`, 'busybox:1.36', 'team/hello-web:1']);
});

void test('an object naming another namespace, or a cluster-scoped one, is an error naming its file and line', () => {
  const text = `apiVersion: v1
kind: ConfigMap
metadata: { name: ok }
---
apiVersion: v1
kind: Service
metadata:
  name: other
  namespace: kube-system
---
apiVersion: v1
kind: Namespace
metadata: { name: mine }
`;
  assert.throws(
    () => prepareManifests(parseManifests(text, 'k8s/all.yaml'), input),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems.map(formatProblem), [
        'k8s/all.yaml:5: Service other names namespace kube-system: everything deploys into the environment namespace shop-main',
        'k8s/all.yaml:11: Namespace mine is cluster-scoped: an environment holds only objects of its namespace shop-main',
      ]);
      return true;
    },
  );
});

void test("the skaffold file matched by a manifest glob (Skaffold's profiles example: '**/*.yaml') is named as what it is; other non-objects say what they lack", () => {
  const skaffold = parseManifests('apiVersion: skaffold/v2beta6\nkind: Config\nbuild: {}\n', 'skaffold.yaml');
  const notes = parseManifests('title: notes\n---\napiVersion: v1\nkind: ConfigMap\n', 'docs/notes.yaml');
  assert.throws(
    () => prepareManifests([...skaffold, ...notes], input),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems.map(formatProblem), [
        'skaffold.yaml:1: a Skaffold config (skaffold/v2beta6 Config), not a Kubernetes object: a manifest path or glob matched it',
        'docs/notes.yaml:1: not a Kubernetes object: no apiVersion, kind, metadata',
        'docs/notes.yaml:3: not a Kubernetes object: no metadata',
      ]);
      return true;
    },
  );
});

void test('a List is opened into its items; the stream for kubectl holds every object', () => {
  const text = 'apiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: ConfigMap, metadata: { name: a } }\n  - { apiVersion: v1, kind: ConfigMap, metadata: { name: b } }\n';
  const objs = prepareManifests(parseManifests(text, 'list.yaml'), input);
  assert.deepEqual(objs.map((o) => [o.line, (o.object.metadata as { name: string }).name]), [[4, 'a'], [5, 'b']]);
  const docs = manifestStream(objs).split('---\n').map((d) => parse(d) as { metadata: { namespace: string } });
  assert.deepEqual(docs.map((d) => d.metadata.namespace), ['shop-main', 'shop-main']);
});

void test("helm's rendered output: images replaced in place, comments kept; another namespace refused with its template", () => {
  const rendered = '---\n# Source: app/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: hello-web:0.1.0\n';
  const out = replaceImagesInText(rendered, images, 'shop-main');
  assert.match(out, /# Source: app\/templates\/deployment.yaml/);
  assert.match(out, new RegExp(`image: ${images[0]!.ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.throws(() => replaceImagesInText(rendered.replace('  name: web\n', '  name: web\n  namespace: prod\n'), images, 'shop-main'), /app\/templates\/deployment.yaml: Deployment web names namespace prod/);
});

void test('setValueTemplates variables: per artifact with its sanitized name, and unsuffixed for a single artifact', () => {
  const rec = { name: '127.0.0.1:5000/team/todo-list', tag: '7', digest: `sha256:${'e'.repeat(64)}`, ref: `127.0.0.1:5000/team/todo-list:7@sha256:${'e'.repeat(64)}` };
  const v = imageTemplateValues([rec]);
  assert.equal(v.IMAGE_REPO_127_0_0_1_5000_team_todo_list, rec.name);
  assert.equal(v.IMAGE_FULLY_QUALIFIED_127_0_0_1_5000_team_todo_list, rec.ref);
  assert.equal(v.IMAGE_REPO, rec.name);
  assert.equal(v.IMAGE_TAG, '7');
  assert.equal(v.IMAGE_DIGEST, rec.digest);
  assert.equal(v.IMAGE_DOMAIN, '127.0.0.1:5000');
  assert.equal(v.IMAGE_REPO_NO_DOMAIN, 'team/todo-list');
  const two = imageTemplateValues([rec, { ...rec, name: 'web', ref: 'web:7@x' }]);
  assert.equal(two.IMAGE_REPO, undefined);
  assert.equal(two.IMAGE_TAG_web, '7');
});
