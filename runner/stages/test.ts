// Test: a plan's tests, in order, in the checked-out workspace, each sandboxed
// (runner/sandbox.ts): it sees its workspace and the system's tools, and an environment of the
// build's variables and its own env and secretEnv, nothing of the runner's. A native test step
// is an argv; Skaffold's custom tests run their command with `sh -c` and $IMAGE, its
// structureTests run container-structure-test over the image (where checkPlan found it). A failing step fails the build
// with its output tail.
import { ConfigError } from '../../core/errors.ts';
import type { SecretRef } from '../../pipelines/schema.ts';
import { durationMs } from '../../pipelines/duration.ts';
import { resolveInside } from '../workspace-path.ts';
import { runSandboxed } from './sandboxed.ts';
import { buildEnv } from './template-vars.ts';
import type { BuildScope, Checkout, TestStageInput, TestStageResult } from './types.ts';

/** One command of the test stage, as it runs. */
interface Step {
  name: string;
  run: string[];
  workdir: string;
  env: Record<string, string>;
  secretEnv?: Record<string, SecretRef>;
  timeout: string;
}

/** The step's secretEnv, read from the runner's environment; each value is masked before the step starts. */
function secretEnvOf(scope: BuildScope, step: Step): Record<string, string> {
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
async function runStep(scope: BuildScope, checkout: Checkout, step: Step, buildVars: Record<string, string>): Promise<void> {
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

export async function testStage(scope: BuildScope, { checkout, plan, images }: TestStageInput): Promise<TestStageResult> {
  const buildVars = buildEnv(scope, { sha: checkout.sha, images });
  const refOf = (image: string) => images.find((i) => i.name === image)?.ref ?? image;
  const steps: string[] = [];
  for (const t of plan.tests) {
    if (t.kind === 'argv') {
      await runStep(scope, checkout, { name: t.name, run: t.argv, workdir: t.workdir, env: t.env, ...(t.secretEnv ? { secretEnv: t.secretEnv } : {}), timeout: t.timeout }, buildVars);
    } else if (t.kind === 'command') {
      await runStep(scope, checkout, { name: t.name, run: ['sh', '-c', t.command], workdir: t.workdir, env: { IMAGE: refOf(t.image) }, timeout: t.timeoutSeconds ? `${t.timeoutSeconds}s` : '10m' }, buildVars);
    } else {
      const argv = [t.program, 'test', '--image', refOf(t.image), ...t.files.flatMap((f) => ['--config', f]), ...t.args];
      await runStep(scope, checkout, { name: t.name, run: argv, workdir: t.workdir, env: {}, timeout: '10m' }, buildVars);
    }
    steps.push(t.name);
  }
  return { steps };
}
