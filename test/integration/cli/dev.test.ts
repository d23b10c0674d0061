// `slipway dev` as a user runs it: the CLI process, in the folder above a seed-001-like skaffold
// project named with -f, the dev profile (local.push: false) asked for with -p, images without a
// registry put under SLIPWAY_DEFAULT_REPO, a helm release whose setValueTemplates name the image
// as the file writes it and whose chart names it directly (the post-renderer), and a custom test
// that would fail, not run under --skip-tests. It deploys, and Ctrl-C (SIGINT) uninstalls the
// release and deletes the namespace it created, exit 0.
import assert from 'node:assert/strict';
import { access, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AppsV1Api } from '@kubernetes/client-node';
import { deleteNamespace, kubeClients, readNamespace } from '../../../runner/environments/kube.ts';
import { exec } from '../../../runner/exec.ts';
import { writeFiles } from '../../helpers/skaffold-dev-files.ts';
import { ROOT, testenv, testenvChildEnv, uniqueName } from '../../helpers/testenv.ts';
import { testKube } from '../dev/harness.ts';

const name = uniqueName('devcli');
let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-dev-cli-'));
  await cp(path.join(ROOT, 'test/fixtures/skaffold/seed001/helm/app'), path.join(dir, 'todo/helm/app'), { recursive: true });
  await writeFiles(path.join(dir, 'todo'), {
    'skaffold.yaml': `apiVersion: skaffold/v4beta14
kind: Config
build:
  tagPolicy:
    gitCommit:
      variant: AbbrevCommitSha
  artifacts:
    - image: todo-list
      context: src
      docker:
        buildArgs:
          BASE: ${testenv().baseImage}
manifests:
  helm:
    releases:
      - name: todo-list
        chartPath: helm/app
        setValueTemplates:
          image: "{{.IMAGE_FULLY_QUALIFIED_todo_list}}"
deploy:
  helm: {}
test:
  - image: todo-list
    custom:
      - command: touch tested; exit 1
profiles:
  - name: dev
    build:
      local:
        push: false
`,
    'src/Dockerfile': 'ARG BASE\nFROM ${BASE}\nRUN echo todo > /todo.txt\n',
  });
});
after(async () => {
  await deleteNamespace(testKube().kube, name).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

void test('slipway dev -f DIR/skaffold.yaml -p dev --skip-tests deploys under the default repo without running the tests, and Ctrl-C removes it', async () => {
  const defaultRepo = `${testenv().registry}/slipway-dev-cli-${name}`;
  const { kc } = testKube();
  const apps = kc.makeApiClient(AppsV1Api);
  let pid: number | undefined;
  let deployed!: () => void;
  const isDeployed = new Promise<void>((r) => (deployed = r));
  const lines: string[] = [];
  const done = exec(['node', '--import', import.meta.resolve('tsx'), path.join(ROOT, 'cli/bin.ts'), 'dev', '-f', 'todo/skaffold.yaml', '-p', 'dev', '--skip-tests', '--namespace', name], {
    cwd: dir,
    env: { ...testenvChildEnv(), SLIPWAY_DEFAULT_REPO: defaultRepo, USER: 'tester' },
    allowFailure: true,
    timeoutMs: 180_000,
    onSpawn: (p) => (pid = p),
    onLine: (line) => {
      lines.push(line);
      if (/iteration 1: deployed to namespace/.test(line)) deployed();
    },
  });
  await Promise.race([isDeployed, done.then((r) => assert.fail(`slipway dev exited early (${r.exitCode}):\n${lines.join('\n')}`))]);

  assert.ok(lines.some((l) => l.includes('local.push is false: slipway dev pushes the images anyway')), lines.join('\n'));
  const containers = (await apps.readNamespacedDeployment({ name: 'todo-list', namespace: name })).spec?.template.spec?.containers ?? [];
  const ref = new RegExp(`^${defaultRepo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/todo-list:dev-tester-[0-9a-z]+-1@sha256:[0-9a-f]{64}$`);
  assert.match(containers[0]?.image ?? '', ref, 'setValueTemplates: the pushed image under the written name');
  assert.match(containers[1]?.image ?? '', ref, 'the chart naming todo-list: replaced by the post-renderer');

  assert.equal(await access(path.join(dir, 'todo/tested')).then(() => true, () => false), false, 'the test did not run (its marker is absent)');

  process.kill(pid!, 'SIGINT');
  const result = await done;
  assert.equal(result.exitCode, 0, lines.join('\n'));
  const status = await exec([testenv().helm, 'status', 'todo-list', '--namespace', name], { env: { KUBECONFIG: testenv().kubeconfig }, allowFailure: true });
  assert.notEqual(status.exitCode, 0, 'the release is uninstalled');
  const ns = await readNamespace(kubeClients(kc), name);
  assert.ok(ns === undefined || ns.status?.phase === 'Terminating', 'the namespace the loop created is going');
});
