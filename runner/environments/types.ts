// What the deploy stage needs from the environment manager (runner/environments/manager.ts).
import type { BuildRecord, EnvironmentRecord } from '../../core/records.ts';
import type { Pipeline } from '../../pipelines/schema.ts';
import type { KubectlStateStore } from '../deployers/kubectl-state.ts';
import type { WorkloadReader } from '../deployers/status-check.ts';

export interface PrepareInput {
  /** The effective pipeline for this branch (profile applied). */
  pipeline: Pipeline;
  profile?: string;
  branch: string;
  build: BuildRecord;
}

export interface PreparedEnvironment {
  id: string;
  namespace: string;
  /**
   * Set when a newer build (a higher number) has deployed here and this build was not asked for
   * by a person (re-run, manual trigger): its deploy is skipped, the environment left untouched.
   */
  supersededBy?: string;
}

export interface EnvironmentManager {
  /**
   * Gets ready for a deploy without changing or deciding anything: loads what the manager needs
   * (`slipway run`: its Kubernetes client) and makes the client's first request, a read of the
   * API's discovery document. Asked while the builds run (stages/deploy.ts warmDeploy).
   */
  warm?(): Promise<void>;
  /**
   * Before helm: computes the namespace, creates it with Slipway's labels when missing, writes the
   * record with the releases about to be deployed (the plan's: a teardown uninstalls them even if
   * helm fails); or, when a newer build has deployed there, says so (supersededBy) and changes nothing.
   */
  prepare(input: PrepareInput & { releases: string[] }): Promise<PreparedEnvironment>;
  /** After helm succeeded: releases, last build and sha, ttl renewed, URLs from the release's Ingress hosts. */
  recordDeploy(input: PrepareInput & { namespace: string; releases: string[] }): Promise<EnvironmentRecord>;
  /** After helm failed: status failed with the reason; the namespace stays. */
  recordFailure(input: PrepareInput & { namespace: string; error: string }): Promise<void>;
  /**
   * The status helm recorded for the newest revision of a release (e.g. pending-upgrade), read
   * from the cluster without running helm; undefined when there is no such release.
   */
  releaseStatus?(namespace: string, release: string): Promise<string | undefined>;
  /** The last good kubectl deploy of a pipeline in a namespace, read and written without starting kubectl. */
  kubectlState?: KubectlStateStore;
  /** A namespace's pods and Jobs, read without starting kubectl (the status check, helm's fail-fast). */
  workloads?: WorkloadReader;
}
