// The demo of `slipway up`: a local "forge" repository whose post-receive hook sends a signed
// Gogs-style webhook to this Slipway on every push, a working clone to push from, and a
// pipeline that builds the app, pushes it to the local registry and deploys it with helm into
// a namespace per branch. Made once; later runs only refresh the hook's settings.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';

/** The git operations the demo needs (local-git.ts provides them). */
export interface DemoGit {
  initBare(dir: string, branch: string): Promise<void>;
  clone(url: string, dest: string): Promise<void>;
  commitAll(dir: string, message: string, author: { name: string; email: string }): Promise<void>;
  push(dir: string, remote: string, ref: string): Promise<void>;
  setConfig(dir: string, key: string, value: string): Promise<void>;
}

export interface Demo {
  name: string;
  /** The bare repository playing the forge. */
  remote: string;
  cloneUrl: string;
  /** The working clone the walk-through pushes from. */
  workdir: string;
  pipelinesDir: string;
  secretEnv: string;
  secret: string;
}

export const DEMO_NAME = 'demo-app';
export const DEMO_SECRET_ENV = 'SLIPWAY_DEMO_WEBHOOK_SECRET';
const AUTHOR = { name: 'Slipway Demo', email: 'demo@slipway.invalid' };

export function demoPipeline(opts: { cloneUrl: string; registry: string; baseImage: string }): Record<string, unknown> {
  return {
    apiVersion: 'slipway/v1',
    kind: 'Pipeline',
    metadata: { name: DEMO_NAME },
    source: { repo: opts.cloneUrl, allowLocal: true, secret: { env: DEMO_SECRET_ENV } },
    on: { push: { branches: ['**'] } },
    build: {
      builder: 'buildah',
      artifacts: [
        {
          image: `${opts.registry}/demo/${DEMO_NAME}`,
          context: '.',
          docker: { dockerfile: 'Dockerfile', buildArgs: { BASE_IMAGE: opts.baseImage } },
        },
      ],
    },
    test: [{ name: 'page-exists', run: ['test', '-s', 'index.html'] }],
    deploy: {
      helm: {
        releases: [
          {
            name: DEMO_NAME,
            chartPath: 'chart',
            setValues: {
              'image.repository': `{{ .Images.${DEMO_NAME}.Repo }}`,
              'image.tag': `{{ .Images.${DEMO_NAME}.Tag }}`,
              host: '{{ .Namespace }}.demo.localhost',
            },
          },
        ],
        atomic: true,
        timeout: '2m',
      },
    },
    environment: { namespace: 'demo-{{ .Branch }}', ttl: '72h' },
  };
}

export async function ensureDemo(opts: {
  dataDir: string;
  /** scripts/demo in this repository: the app's files and the hook. */
  assets: string;
  webhookUrl: string;
  registry: string;
  baseImage: string;
  git: DemoGit;
}): Promise<Demo> {
  const root = path.join(opts.dataDir, 'demo');
  const remote = path.join(root, `${DEMO_NAME}.git`);
  const workdir = path.join(root, DEMO_NAME);
  const pipelinesDir = path.join(root, 'pipelines');
  const cloneUrl = `file://${remote}`;
  await mkdir(pipelinesDir, { recursive: true });

  const secretFile = path.join(root, 'webhook-secret');
  let secret = existsSync(secretFile) ? (await readFile(secretFile, 'utf8')).trim() : '';
  if (!secret) {
    secret = randomBytes(24).toString('hex');
    await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
  }

  // A seed interrupted half-way is started over; `.seeded` marks one that finished.
  const seeded = path.join(root, '.seeded');
  if (!existsSync(seeded)) {
    await rm(remote, { recursive: true, force: true });
    await rm(workdir, { recursive: true, force: true });
    await opts.git.initBare(remote, 'main');
    await opts.git.clone(cloneUrl, workdir);
    await cp(path.join(opts.assets, 'app'), workdir, { recursive: true });
    await opts.git.setConfig(workdir, 'user.name', AUTHOR.name);
    await opts.git.setConfig(workdir, 'user.email', AUTHOR.email);
    await opts.git.commitAll(workdir, 'The demo app', AUTHOR);
    // Pushed before the hook exists: the first build is the walk-through's first push.
    await opts.git.push(workdir, 'origin', 'HEAD:refs/heads/main');
    await writeFile(seeded, `${new Date().toISOString()}\n`);
  }

  const hook = path.join(remote, 'hooks', 'post-receive');
  await copyFile(path.join(opts.assets, 'post-receive.mjs'), hook);
  await chmod(hook, 0o755);
  // The hook has no .mjs extension (git runs it by name): this makes node read it as ESM.
  await writeFile(path.join(remote, 'hooks', 'package.json'), '{ "type": "module" }\n');
  await writeFile(
    path.join(remote, 'hooks', 'slipway-hook.json'),
    `${JSON.stringify({ url: opts.webhookUrl, secret, cloneUrl, name: DEMO_NAME }, null, 2)}\n`,
    { mode: 0o600 },
  );
  await writeFile(
    path.join(pipelinesDir, `${DEMO_NAME}.yaml`),
    `# Written by slipway up for the demo; rewritten at every start.\n${stringify(demoPipeline({ cloneUrl, registry: opts.registry, baseImage: opts.baseImage }))}`,
  );
  return { name: DEMO_NAME, remote, cloneUrl, workdir, pipelinesDir, secretEnv: DEMO_SECRET_ENV, secret };
}
