// A skaffold.yaml directory for slipway dev (its test and its benchmark): two artifacts, `app`
// requiring `base` (its reference as the build arg BASE_IMAGE), rawYaml manifests with a Deployment
// each, `local.push: false` and a gitCommit tagPolicy (both of which dev overrides), a profile
// activated by `command: dev` (adds the ConfigMap dev-only) and one to ask for by name, `extra`
// (adds the ConfigMap extra). `greeting` is base's build arg.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { testenv } from './testenv.ts';

const deployment = (name: string, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: ${name}
          image: ${image}
`;
const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata: { from: profile }\n`;

export function skaffoldYaml(base: string, app: string, greeting: string): string {
  return `apiVersion: skaffold/v4beta14
kind: Config
metadata:
  name: shop
build:
  tagPolicy:
    gitCommit: {}
  local:
    push: false
    concurrency: 0
  artifacts:
    - image: ${base}
      context: base
      docker:
        buildArgs:
          BASE: ${testenv().baseImage}
          GREETING: ${greeting}
    - image: ${app}
      context: app
      requires:
        - image: ${base}
          alias: BASE_IMAGE
manifests:
  rawYaml:
    - k8s/*.yaml
deploy:
  kubectl: {}
  statusCheckDeadlineSeconds: 60
profiles:
  - name: inner-loop
    activation:
      - command: dev
    patches:
      - op: add
        path: /manifests/rawYaml/-
        value: k8s-dev/*.yaml
  - name: extra
    patches:
      - op: add
        path: /manifests/rawYaml/-
        value: k8s-extra/*.yaml
`;
}

export function skaffoldDevFiles(base: string, app: string): Record<string, string> {
  return {
    'skaffold.yaml': skaffoldYaml(base, app, 'one'),
    'base/Dockerfile': 'ARG BASE\nFROM ${BASE}\nARG GREETING\nRUN echo "${GREETING}" > /base.txt\n',
    'app/Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY page.txt /page.txt\n',
    'app/page.txt': 'first\n',
    'k8s/base.yaml': deployment('base', `${base}:latest`),
    'k8s/app.yaml': deployment('app', app),
    'k8s-dev/dev-only.yaml': configMap('dev-only'),
    'k8s-extra/extra.yaml': configMap('extra'),
  };
}

export async function writeFiles(dir: string, f: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(f)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
}

