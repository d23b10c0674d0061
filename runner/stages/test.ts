// Test: the pipeline's steps, in order, in the checked-out workspace (argv, workdir inside the
// checkout, env, timeout), each sandboxed (runner/sandbox.ts): it sees its workspace and the
// system's tools, and an environment of the build's variables and its own env and secretEnv,
// nothing of the runner's. A failing step fails the build with its output tail.
import { ConfigError } from '../../core/errors.ts';
import type { TestStep } from '../../pipelines/schema.ts';
import { durationMs } from '../../pipelines/duration.ts';
import { resolveInside } from '../workspace-path.ts';
import { runSandboxed } from './sandboxed.ts';
import { buildEnv } from './template-vars.ts';
import type { BuildScope, Checkout, TestStageInput, TestStageResult } from './types.ts';

/** The step's secretEnv, read from the runner's environment; each value is masked before the step starts. */
function secretEnvOf(scope: BuildScope, step: TestStep): Record<string, string> {
  const env = scope.deps.env ?? process.env;
  const out: Record<string, string> = {};
  for (const [name, ref] of Object.entries(step.secretEnv ?? {})) {
    const value = env[ref.env];
    if (value === undefined) throw new ConfigError(`test step ${step.name}: environment variable ${ref.env} (for ${name}) is not set on the runner`);
    scope.secrets.add(value);
    out[name] = value;
  }
  return out;
}

/** Runs one step to its end; throws (a ChildProcessError with its output tail) when it fails. */
export async function runStep(scope: BuildScope, checkout: Checkout, step: TestStep, buildVars: Record<string, string>): Promise<void> {
  const cwd = resolveInside(checkout.workspace, step.workdir, `test step ${step.name} workdir`);
  const secretEnv = secretEnvOf(scope, step);
  const timeoutMs = durationMs(step.timeout);
  scope.line(`step ${step.name}: ${step.run.join(' ')}`);
  await runSandboxed(
    scope,
    { argv: step.run, workspace: checkout.workspace, cwd, env: { CI: 'true', SLIPWAY: 'true', ...buildVars, ...step.env, ...secretEnv }, mirror: checkout.mirror },
    timeoutMs,
  );
}

export async function testStage(scope: BuildScope, { checkout, images }: TestStageInput): Promise<TestStageResult> {
  const buildVars = buildEnv(scope, { sha: checkout.sha, images });
  const steps: string[] = [];
  for (const step of scope.pipeline.test) {
    await runStep(scope, checkout, step, buildVars);
    steps.push(step.name);
  }
  return { steps };
}
