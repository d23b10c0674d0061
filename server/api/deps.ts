// What the REST routes need, passed in by createServer.
import type { EnvStore } from '../../core/env-store.ts';
import type { Logger } from '../../core/logger.ts';
import type { Superseder } from '../../core/supersede.ts';
import type { TriggerDeps } from '../../core/trigger.ts';
import type { LoadedPipeline } from '../../pipelines/schema.ts';

export interface ApiDeps {
  trigger: TriggerDeps;
  superseder: Superseder;
  envs: EnvStore;
  pipelines: () => LoadedPipeline[];
  apiToken: string | undefined;
  publicUrl: string;
  log: Logger;
  /** Seconds between SSE heartbeats. */
  heartbeatSeconds?: number;
  /** Aborted when the server closes: ends live SSE streams. */
  shutdown: AbortSignal;
}
