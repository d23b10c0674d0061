// What every forge adapter turns a webhook into: one normalised push event (or a ping, or
// something Slipway does not act on).
import type { IncomingHttpHeaders } from 'node:http';
import type { CommitInfo } from '../../core/records.ts';

export type Forge = 'github' | 'gogs' | 'gitea';

export interface PushEvent {
  forge: Forge;
  deliveryId: string;
  /** Every URL the payload gives for the repository (clone, ssh, html); matched normalised. */
  repoUrls: string[];
  /** The http(s) clone URL, without credentials. */
  cloneUrl: string;
  /** The full ref, e.g. refs/heads/main or refs/tags/v1. */
  ref: string;
  branch?: string;
  tag?: string;
  before: string;
  after: string;
  deleted: boolean;
  pusher?: string;
  /** The head commit's message and author, when the payload carries them. */
  commit?: CommitInfo;
  /** Paths added, removed or modified by the pushed commits. */
  changedFiles: string[];
  /** False when the payload cannot tell every changed file: the runner's git diff decides. */
  filesComplete: boolean;
}

export type ForgeEvent =
  | { kind: 'ping' }
  | { kind: 'push'; push: PushEvent }
  | { kind: 'ignored'; reason: string; repoUrls: string[] };

export interface ForgeAdapter {
  forge: Forge;
  /** The hex HMAC-SHA256 the forge sent, or undefined when there is none. */
  signature(headers: IncomingHttpHeaders): string | undefined;
  deliveryId(headers: IncomingHttpHeaders): string | undefined;
  /** The payload as a ForgeEvent; throws WebhookError('webhook') when its shape is wrong. */
  normalise(headers: IncomingHttpHeaders, payload: unknown, deliveryId: string): ForgeEvent;
}
