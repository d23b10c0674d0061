// The records server and runner share, as stored in Redis (JSON under build:<id> and env:<p>:<b>).

/** Every status a build record can have: the one list (the API's status filter takes it from here). */
export const BUILD_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];
export const FINAL_STATUSES: readonly BuildStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isFinal = (s: BuildStatus): boolean => FINAL_STATUSES.includes(s);

export type StageName = 'checkout' | 'build' | 'test' | 'deploy' | 'report';
export type StageStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface StageRecord {
  name: StageName;
  status: StageStatus;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
}

/**
 * The stages of a build that has just ended with `status`: none is left pending (skipped) or
 * running (it ended as the build did: cancelled, else failed). A final record shows no stage at work.
 */
export function closeStages(stages: StageRecord[], status: BuildStatus, at: string): StageRecord[] {
  return stages.map((s) => {
    if (s.status === 'pending') return { ...s, status: 'skipped' };
    if (s.status === 'running') return { ...s, status: status === 'cancelled' ? 'cancelled' : 'failed', finishedAt: at };
    return s;
  });
}

export interface ImageRecord {
  /** The artifact's image name without tag, e.g. 127.0.0.1:5000/kiamol/bulletin-board */
  name: string;
  /** name:tag@digest */
  ref: string;
  tag: string;
  digest: string;
}

export interface BuildTrigger {
  /** poll: a branch head no webhook announced, found by core/poll.ts. */
  type: 'push' | 'manual' | 'rerun' | 'poll';
  by?: string;
  deliveryId?: string;
  rerunOf?: string;
  forge?: 'github' | 'gogs' | 'gitea';
}

/** The pushed head commit as the webhook payload told it (shown by the dashboard). */
export interface CommitInfo {
  message: string;
  author?: string;
}

export interface BuildEnvironmentRef {
  id: string;
  namespace: string;
  releases: string[];
  url?: string;
}

export interface BuildRecord {
  id: string;
  pipeline: string;
  number: number;
  status: BuildStatus;
  reason?: string;
  trigger: BuildTrigger;
  repo: string;
  branch?: string;
  tag?: string;
  sha: string;
  commit?: CommitInfo;
  /** The commit before the push, when known: the runner diffs against it for path filters. */
  before?: string;
  /** True when the webhook's file list could not decide the path filter; the runner decides. */
  pathsUndecided?: boolean;
  params?: Record<string, string>;
  /** Set when a cancel was asked of a running build; the runner acts on it. */
  cancelRequested?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  stages: StageRecord[];
  images: ImageRecord[];
  environment?: BuildEnvironmentRef;
}

export type EnvironmentStatus = 'creating' | 'deploying' | 'ready' | 'failed' | 'tearing-down' | 'deleted';

export interface EnvironmentRecord {
  /** `<pipeline>:<branch>` made URL-safe: `<pipeline>.<namespace>` */
  id: string;
  pipeline: string;
  branch: string;
  namespace: string;
  /** True when Slipway created the namespace (and so may delete it). */
  ownsNamespace: boolean;
  profile?: string;
  releases: string[];
  lastBuild?: string;
  /** The number of lastBuild: a build with a lower one never deploys over it unless a person asked. */
  lastBuildNumber?: number;
  lastSha?: string;
  createdAt: string;
  updatedAt: string;
  /** ISO time after which the sweeper tears it down; absent means never (ttl 0). */
  expiresAt?: string;
  urls: string[];
  status: EnvironmentStatus;
  deletedAt?: string;
  deletedReason?: string;
  error?: string;
}
