// A 7-artifact repository (svc-1 … svc-7, each a Dockerfile FROM the testenv base image copying
// its own file) and a way to run one build of it here, as `slipway run` does, each time in a
// fresh work folder (a fresh runner), counting the builder runs at the exec door.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildId, nowIso } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { BuildRecord } from '../../../core/records.ts';
import { Pipeline } from '../../../pipelines/schema.ts';
import { exec, recordingExec, type RecordedCall } from '../../../runner/exec.ts';
import { createGit } from '../../../runner/git.ts';
import { runBuild } from '../../../runner/run-build.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/fixture-repo.ts';
import { testenv, uniqueName } from '../../helpers/testenv.ts';
import { useTestenvProcessEnv } from '../runner/harness.ts';
import { buildahArgv } from '../../helpers/buildah-argv.ts';

export const SERVICES = ['svc-1', 'svc-2', 'svc-3', 'svc-4', 'svc-5', 'svc-6', 'svc-7'];

export function serviceFiles(version = 'v1'): Record<string, string> {
  const files: Record<string, string> = {};
  for (const s of SERVICES) {
    files[`${s}/Dockerfile`] = 'ARG BASE\nFROM ${BASE}\nCOPY message.txt /message.txt\nRUN cat /message.txt\n';
    files[`${s}/message.txt`] = `${s} ${version}\n`;
    files[`${s}/.dockerignore`] = 'notes/\n';
  }
  return files;
}

export interface BuildRun {
  record: BuildRecord;
  log: string;
  calls: RecordedCall[];
  /** The builder commands that ran (buildah bud). */
  builds: string[][];
}

export interface CacheHarness {
  name: string;
  repo: FixtureRepo;
  /** image name of a service */
  image(service: string): string;
  pipeline(build?: Record<string, unknown>): Pipeline;
  /** One build in a fresh work folder; `storage` gives buildah a fresh local image store too (a new machine). */
  run(pipeline: Pipeline, number: number, opts?: { noCache?: boolean; freshStorage?: boolean }): Promise<BuildRun>;
  cleanup(): Promise<void>;
}

export async function cacheHarness(files: Record<string, string> = serviceFiles(), services = SERVICES): Promise<CacheHarness> {
  useTestenvProcessEnv();
  const name = uniqueName('cache');
  const repo = await fixtureRepo(files);
  const workdirs: string[] = [];
  const image = (s: string) => `${testenv().registry}/slipway-cache-test/${name}/${s}`;
  return {
    name,
    repo,
    image,
    pipeline: (build = {}) =>
      Pipeline.parse({
        apiVersion: 'slipway/v1',
        kind: 'Pipeline',
        metadata: { name },
        source: { repo: repo.url, allowLocal: true },
        build: {
          concurrency: 2,
          artifacts: services.map((s) => ({ image: image(s), context: s, docker: { buildArgs: { BASE: testenv().baseImage } } })),
          ...build,
        },
      }),
    async run(pipeline, number, opts = {}) {
      const workdir = await mkdtemp(path.join(tmpdir(), 'slipway-cache-runner-'));
      workdirs.push(workdir);
      const storageConf = process.env.CONTAINERS_STORAGE_CONF;
      if (opts.freshStorage) {
        const conf = path.join(workdir, 'storage.conf');
        await writeFile(conf, `[storage]\ndriver = "vfs"\nrunroot = "${workdir}/containers/run"\ngraphroot = "${workdir}/containers/graph"\n`);
        process.env.CONTAINERS_STORAGE_CONF = conf;
      }
      const rec = recordingExec(exec);
      const lines: string[] = [];
      let record: BuildRecord = {
        id: buildId(name, number),
        pipeline: name,
        number,
        status: 'queued',
        trigger: { type: 'manual' },
        repo: repo.url,
        branch: 'main',
        sha: await repo.head(),
        createdAt: nowIso(),
        stages: [],
        images: [],
      };
      try {
        await runBuild({
          record,
          pipeline,
          signal: new AbortController().signal,
          deps: { exec: rec.exec, git: createGit({ workdir }), workdir, log: silentLogger(), ...(opts.noCache ? { noCache: true } : {}) },
          reporter: {
            update: async (change) => (record = change(record)),
            lines: (l) => void lines.push(...l),
          },
        });
      } finally {
        if (storageConf === undefined) delete process.env.CONTAINERS_STORAGE_CONF;
        else process.env.CONTAINERS_STORAGE_CONF = storageConf;
      }
      const builds = rec.calls.map((c) => buildahArgv(c.argv)).filter((a): a is string[] => a !== undefined && a.includes('bud'));
      return { record, log: lines.join('\n'), calls: rec.calls, builds };
    },
    async cleanup() {
      await repo.cleanup();
      for (const w of workdirs) await rm(w, { recursive: true, force: true });
    },
  };
}

/** The digest a tag of `image` has in the registry, or null. */
export { registryDigest } from '../../helpers/registry-tags.ts';
