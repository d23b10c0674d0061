// Prepares the skaffold-pipeline comparison: a repository with a skaffold.yaml of three
// artifacts (api requires base; base and web independent), rawYaml applied by kubectl and a
// helm release, a pipeline file for `slipway run`, and an env file for both sides (bench/fixture.ts). Prints the two
// commands to time side by side with bench/runner/overhead.ts: Slipway (`slipway run skaffold`,
// bundled) and bench/skaffold/plain.sh doing the same git, buildah, kubectl and helm commands.
// Needs the testenv.  node --import tsx bench/skaffold/prepare.ts
import { benchFixture, buildBundle, envArgs, ROOT } from '../fixture.ts';

// each prepared fixture pushes under an image repository (and Redis key prefix) of its own
// (bench/fixture.ts): tags are immutable and build numbers start at 1 for every fresh data folder
const f = await benchFixture('slipway-bench-skaffold-');
const image = (n: string) => f.image(`skaffold-${n}`);
const deployment = (name: string, img: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: ${name}, image: "${img}" }]
`;
await f.commit({
  'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
build:
  tagPolicy: { envTemplate: { template: "{{.BUILD_NUMBER}}" } }
  local: { concurrency: 0 }
  artifacts:
    - image: ${image('base')}
      context: base
      docker: { buildArgs: { BASE: "${f.t.baseImage}" } }
    - image: ${image('api')}
      context: api
      requires: [{ image: ${image('base')}, alias: BASE_IMAGE }]
    - image: ${image('web')}
      context: web
      docker: { buildArgs: { BASE: "${f.t.baseImage}" } }
manifests:
  rawYaml: [k8s/*.yaml]
deploy:
  kubectl: {}
  helm:
    releases:
      - name: web
        chartPath: chart
  statusCheckDeadlineSeconds: 60
`,
  'base/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo base > /base.txt\n',
  'api/Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo api > /api.txt\n',
  'web/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo web > /web.txt\n',
  'k8s/api.yaml': deployment('api', `${image('api')}:latest`),
  'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'chart/templates/deployment.yaml': deployment('web', `${image('web')}:latest`),
});

const namespace = 'slipway-bench-skaffold';
await f.pipeline(
  'skaffold',
  `apiVersion: slipway/v1
kind: Pipeline
metadata: { name: skaffold }
source: { repo: "${f.repoUrl}", allowLocal: true }
skaffold: { path: skaffold.yaml }
environment: { namespace: ${namespace}, ttl: 1h }
`,
);
const env = envArgs(f.env({ namespace: `${namespace}-plain`, bench: { BENCH_REGISTRY_IMAGE: image('') } }));
const bin = await buildBundle();
console.log(`slipway: env ${env} node ${bin} run skaffold --no-cache`);
console.log(`plain:   env ${env} sh ${ROOT}/bench/skaffold/plain.sh`);
