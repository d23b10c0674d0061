// slipway validate [files]: checks pipeline files (default: every file in SLIPWAY_PIPELINES) and
// skaffold.yaml files given by name, and prints every problem with file:line:column (skaffold
// fields Slipway does not run as warnings), and each pipeline's source.repo as checkout will
// (runner/git.ts validateRepoUrl: a file:// URL needs source.allowLocal). Exit 1 when there is any error.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../../core/config.ts';
import { formatProblem, ValidationError, type Problem } from '../../core/errors.ts';
import { fieldPosition, loadPipelineFiles, pipelineFiles } from '../../pipelines/load.ts';
import { looksLikeSkaffold, validateSkaffoldFile } from '../../pipelines/skaffold/validate.ts';
import { validateRepoUrl } from '../../runner/git.ts';
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
    const skaffoldFiles: string[] = [];
    for (const f of positionals.length ? files : []) {
      const text = await readFile(f, 'utf8').catch(() => '');
      if (looksLikeSkaffold(text)) skaffoldFiles.push(f);
    }
    const shown = (p: Problem) => formatProblem({ ...p, ...(p.file ? { file: path.relative(ctx.cwd, p.file) || p.file } : {}) });
    const loaded = await loadPipelineFiles(files.filter((f) => !skaffoldFiles.includes(f)));
    const { pipelines } = loaded;
    const errors = [...loaded.errors];
    // the source URL as checkout will take it (a file:// one only with source.allowLocal)
    for (const { file, pipeline } of pipelines) {
      try {
        validateRepoUrl(pipeline.source.repo, pipeline.source.allowLocal);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        const text = await readFile(file, 'utf8');
        errors.push({ file, ...fieldPosition(text, pipeline.metadata.name, ['source', 'repo']), path: 'source.repo', message: err.message });
      }
    }
    for (const f of skaffoldFiles) {
      const res = await validateSkaffoldFile(f);
      errors.push(...res.errors);
      for (const w of res.warnings) ctx.stderr(`warning: ${shown(w)}\n`);
    }
    for (const p of errors) ctx.stderr(`${shown(p)}\n`);
    if (errors.length) {
      ctx.stderr(`${errors.length} problem${errors.length === 1 ? '' : 's'}\n`);
      return 1;
    }
    if (pipelines.length || skaffoldFiles.length === 0) ctx.stdout(`${pipelines.length} pipeline${pipelines.length === 1 ? '' : 's'} valid: ${pipelines.map((p) => p.pipeline.metadata.name).join(', ')}\n`);
    for (const f of skaffoldFiles) ctx.stdout(`${path.relative(ctx.cwd, f) || f}: skaffold config valid\n`);
    return 0;
  },
};
