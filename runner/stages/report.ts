// Report: the commit status back to the forge, when the pipeline asks for it. Never fails the
// build: a forge that is down costs a log line, not a red build.
import { commitStateFor, reportStatus } from '../../core/commit-status.ts';
import { isFinal } from '../../core/records.ts';
import type { BuildScope, ReportStageInput } from './types.ts';

/** Sends the status (through the ordered sender when the runner has one); resolves with whether it was sent. */
export async function reportStage(scope: BuildScope, input: ReportStageInput): Promise<boolean> {
  const { deps, build, pipeline } = scope;
  if (!pipeline.source.status || !deps.publicUrl || !input.sha) return false;
  const state = commitStateFor(input.status);
  const target = { id: build.id, sha: input.sha, number: build.number };
  const description = input.reason?.slice(0, 140);
  const res = deps.statuses
    ? await deps.statuses.send({
        build: target,
        pipeline,
        phase: isFinal(input.status) ? 'final' : 'running',
        state,
        ...(input.environmentUrl ? { environmentUrl: input.environmentUrl } : {}),
        ...(description ? { description } : {}),
      })
    : await reportStatus({
        pipeline,
        build: target,
        state,
        publicUrl: deps.publicUrl,
        ...(input.environmentUrl ? { environmentUrl: input.environmentUrl } : {}),
        ...(description ? { description } : {}),
        log: deps.log,
        ...(deps.env ? { env: deps.env } : {}),
      });
  scope.line(res.sent ? `commit status ${state} sent` : `commit status not sent: ${res.reason}`);
  return res.sent;
}
