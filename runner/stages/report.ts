// Report: the commit status back to the forge, when the pipeline asks for it. Never fails the
// build: a forge that is down costs a log line, not a red build.
import { commitStateFor, reportStatus } from '../../core/commit-status.ts';
import type { BuildStatus } from '../../core/records.ts';
import type { BuildContext } from '../build-context.ts';

export async function reportStage(ctx: BuildContext, status: BuildStatus, reason?: string): Promise<boolean> {
  if (!ctx.pipeline.source.status || !ctx.deps.publicUrl || !ctx.sha) return false;
  const res = await reportStatus({
    pipeline: ctx.pipeline,
    build: { id: ctx.record.id, sha: ctx.sha, number: ctx.record.number },
    state: commitStateFor(status),
    publicUrl: ctx.deps.publicUrl,
    ...(ctx.record.environment?.url ? { environmentUrl: ctx.record.environment.url } : {}),
    ...(reason ? { description: reason.slice(0, 140) } : {}),
    log: ctx.deps.log,
    ...(ctx.deps.env ? { env: ctx.deps.env } : {}),
  });
  ctx.line(res.sent ? `commit status ${commitStateFor(status)} sent` : `commit status not sent: ${res.reason}`);
  return res.sent;
}
