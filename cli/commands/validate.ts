// slipway validate [files]: checks pipeline files (default: every file in SLIPWAY_PIPELINES) and
// prints every problem with file:line:column. Exit 1 when there is any.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../../core/config.ts';
import { formatProblem } from '../../core/errors.ts';
import { loadPipelineFiles, pipelineFiles } from '../../pipelines/load.ts';
import type { Command } from '../context.ts';

export const validate: Command = {
  summary: 'validate [files]   check pipeline files; every error with file:line:column',
  async run(args, ctx) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    let files = positionals.map((f) => path.resolve(ctx.cwd, f));
    if (files.length === 0) {
      const dir = readConfig(ctx.env, ctx.cwd).pipelinesDir;
      try {
        files = await pipelineFiles(dir);
      } catch {
        ctx.stderr(`${path.relative(ctx.cwd, dir) || dir}: cannot read the pipelines folder\n`);
        return 1;
      }
      if (files.length === 0) {
        ctx.stderr(`no pipeline files in ${path.relative(ctx.cwd, dir) || dir}\n`);
        return 1;
      }
    }
    const { pipelines, errors } = await loadPipelineFiles(files);
    for (const p of errors) ctx.stderr(`${formatProblem({ ...p, ...(p.file ? { file: path.relative(ctx.cwd, p.file) || p.file } : {}) })}\n`);
    if (errors.length) {
      ctx.stderr(`${errors.length} problem${errors.length === 1 ? '' : 's'}\n`);
      return 1;
    }
    ctx.stdout(`${pipelines.length} pipeline${pipelines.length === 1 ? '' : 's'} valid: ${pipelines.map((p) => p.pipeline.metadata.name).join(', ')}\n`);
    return 0;
  },
};
