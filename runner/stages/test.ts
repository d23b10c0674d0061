// Test: the pipeline's steps, in order, in the checked-out workspace (argv, workdir inside the
// checkout, env, timeout). Steps get a clean environment (PATH, HOME, their own env and
// secretEnv), not the runner's. A failing step fails the build with its output tail.
import { ConfigError } from '../../core/errors.ts';
import type { BuildContext } from '../build-context.ts';
import { ttlMs } from '../environments/ttl.ts';
import { resolveInside } from '../workspace-path.ts';

export async function testStage(ctx: BuildContext): Promise<void> {
  const env = ctx.deps.env ?? process.env;
  for (const step of ctx.pipeline.test) {
    const cwd = resolveInside(ctx.workspace!, step.workdir, `test step ${step.name} workdir`);
    const secretEnv: Record<string, string> = {};
    for (const [name, ref] of Object.entries(step.secretEnv ?? {})) {
      const value = env[ref.env];
      if (value === undefined) throw new ConfigError(`test step ${step.name}: environment variable ${ref.env} (for ${name}) is not set on the runner`);
      secretEnv[name] = value;
      ctx.secrets.push(value);
    }
    const timeoutMs = ttlMs(step.timeout);
    ctx.line(`step ${step.name}: ${step.run.join(' ')}`);
    await ctx.run(step.run, {
      cwd,
      cleanEnv: true,
      env: { CI: 'true', SLIPWAY: 'true', ...step.env, ...secretEnv },
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  }
}
