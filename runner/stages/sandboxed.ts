// The one way a stage runs a pipeline's own command (a test step, a custom test, a custom build
// command, the runner's own `buildah bud` of a Dockerfile): through the runner's sandbox (runner/sandbox.ts) at the build's exec door, and when it
// fails, the error names the pipeline's command, not the sandbox's argv around it.
import { ChildProcessError } from '../../core/errors.ts';
import type { ExecResult } from '../exec.ts';
import { bubblewrapSandbox, type SandboxStep } from '../sandbox.ts';
import type { BuildScope } from './types.ts';

export async function runSandboxed(scope: BuildScope, step: SandboxStep, timeoutMs?: number): Promise<ExecResult> {
  const sandbox = scope.deps.sandbox ?? bubblewrapSandbox();
  const cmd = sandbox.command(step);
  return scope.run(cmd.argv, { ...cmd.options, ...(timeoutMs === undefined ? {} : { timeoutMs }) }).catch((err: unknown) => {
    if (!(err instanceof ChildProcessError)) throw err;
    const { exitCode, signal, timedOut, tail, permanent } = err;
    throw new ChildProcessError({ command: step.argv.map((a) => scope.secrets.mask(a)), exitCode, signal, timedOut, tail, permanent });
  });
}
