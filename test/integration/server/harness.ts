// A real Slipway server for integration tests: its own Redis key prefix and BullMQ prefix, real
// HTTP on 127.0.0.1 and a free port, pipelines parsed from YAML by the real loader.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BuildStore } from '../../../core/build-store.ts';
import { bullConnection } from '../../../core/bull-connection.ts';
import { EnvStore } from '../../../core/env-store.ts';
import { LogStream } from '../../../core/log-stream.ts';
import { createLogger, silentLogger } from '../../../core/logger.ts';
import { createQueues, type Queues } from '../../../core/queue.ts';
import type { BuildRecord } from '../../../core/records.ts';
import { parsePipelines } from '../../../pipelines/load.ts';
import { createServer, listen, type ServerDeps, type SlipwayServer } from '../../../server/create-server.ts';
import { hmacHex } from '../../../server/webhooks/signature.ts';
import type { Forge } from '../../../server/webhooks/types.ts';
import { ROOT, testenv, testRedis, type TestRedis } from '../../helpers/testenv.ts';
import { eventually } from '../../helpers/eventually.ts';

export { eventually };

export const SECRET = 'it-is-a-secret-0f9a';
export const TOKEN = 'test-token-7d1c';

export function pipelineYaml(name: string, repo: string, on = ''): string {
  return `apiVersion: slipway/v1
kind: Pipeline
metadata:
  name: ${name}
source:
  repo: ${repo}
  secret: { env: HOOK_SECRET }
${on}
build:
  artifacts:
    - image: 127.0.0.1:5000/test/${name}
`;
}

export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/webhooks', name), 'utf8')) as Record<string, unknown>;
}

export interface Harness {
  url: string;
  server: SlipwayServer;
  redis: TestRedis['redis'];
  keys: TestRedis['keys'];
  bullPrefix: string;
  queues: Queues;
  builds: BuildStore;
  logs: LogStream;
  envs: EnvStore;
  allBuilds(pipeline: string): Promise<BuildRecord[]>;
  close(): Promise<void>;
}

export async function startHarness(
  yamls: string[],
  options: { maxBodyBytes?: number; heartbeatSeconds?: number; env?: Record<string, string>; duplicatePushSeconds?: number; spoolFile?: string } & Pick<ServerDeps, 'extend' | 'git' | 'pollTickMs'> = {},
): Promise<Harness> {
  // Replay detection is off unless a test asks for it: tests post the same fixture under fresh
  // delivery ids to test other things (test/integration/server/replays.test.ts tests it).
  const { env: extraEnv, duplicatePushSeconds = 0, ...serverOptions } = options;
  const t = await testRedis();
    const queues = createQueues(bullConnection(testenv().redisUrl), t.bullPrefix);
  const pipelines = yamls.flatMap((y, i) => {
    const res = parsePipelines(y, `p${i}.yaml`);
    if (res.errors.length) throw new Error(JSON.stringify(res.errors));
    return res.pipelines;
  });
  const server = createServer({
    redis: t.redis,
    keys: t.keys,
    queues,
    pipelines,
    config: { apiToken: TOKEN, publicUrl: 'http://slipway.test', duplicatePushSeconds },
    log: process.env.SLIPWAY_TEST_LOG ? createLogger({ level: 'debug' }) : silentLogger(),
    env: { HOOK_SECRET: SECRET, ...extraEnv },
    ...serverOptions,
  });
  const { server: http, url } = await listen(server, 0, '127.0.0.1');
  const builds = new BuildStore(t.redis, t.keys);
  return {
    url,
    server,
    redis: t.redis,
    keys: t.keys,
    bullPrefix: t.bullPrefix,
    queues,
    builds,
    logs: new LogStream(t.redis, t.keys),
    envs: new EnvStore(t.redis, t.keys),
    allBuilds: (p) => builds.list(p, { limit: 500 }),
    async close() {
      server.close();
      await server.superseder.idle();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await queues.close();
      await t.cleanup();
    },
  };
}

export interface HookOptions {
  secret?: string | null;
  event?: string;
  delivery?: string;
  body?: string;
}

export const HEADERS: Record<Forge, { signature: string; event: string; delivery: string; prefix: string }> = {
  github: { signature: 'x-hub-signature-256', event: 'x-github-event', delivery: 'x-github-delivery', prefix: 'sha256=' },
  gogs: { signature: 'x-gogs-signature', event: 'x-gogs-event', delivery: 'x-gogs-delivery', prefix: '' },
  gitea: { signature: 'x-gitea-signature', event: 'x-gitea-event', delivery: 'x-gitea-delivery', prefix: '' },
};

/** POSTs a payload the way the forge does: signed with the secret (null: no signature header). */
export async function postHook(
  base: string,
  forge: Forge,
  payload: unknown,
  options: HookOptions = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = options.body ?? JSON.stringify(payload);
  const h = HEADERS[forge];
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [h.event]: options.event ?? 'push',
    [h.delivery]: options.delivery ?? randomUUID(),
  };
  const secret = options.secret === undefined ? SECRET : options.secret;
  if (secret !== null) headers[h.signature] = `${h.prefix}${hmacHex(secret, Buffer.from(body))}`;
  const res = await fetch(`${base}/hooks/${forge}`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

