// The pipeline file the CLI tests run: the runner-app fixture (test/fixtures/runner-app) built
// from the testenv's base image, one test step, the deploy's lines given (none: `deploy: {}`).
import { testenv } from './testenv.ts';

export function runnerAppPipeline(opts: { name: string; repoUrl: string; imagePath: string; releases: string[]; extra?: string[] }): string {
  return [
    'apiVersion: slipway/v1',
    'kind: Pipeline',
    `metadata: { name: ${opts.name} }`,
    `source: { repo: "${opts.repoUrl}", allowLocal: true }`,
    'build:',
    '  artifacts:',
    `    - image: ${testenv().registry}/${opts.imagePath}`,
    `      docker: { buildArgs: { BASE: "${testenv().baseImage}" } }`,
    'test:',
    '  - { name: unit, run: [sh, -c, "echo unit tests ran"] }',
    ...(opts.releases.length ? ['deploy:', ...opts.releases] : ['deploy: {}']),
    ...(opts.extra ?? []),
    '',
  ].join('\n');
}
