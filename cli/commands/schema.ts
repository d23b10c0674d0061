// slipway schema: the JSON Schema of the pipeline file (for editors), from the zod schema.
import { z } from 'zod';
import { Pipeline } from '../../pipelines/schema.ts';
import type { Command } from '../context.ts';

export function pipelineJsonSchema(): Record<string, unknown> {
  // `input`: what a user writes, with defaults optional.
  return { title: 'Slipway pipeline', ...z.toJSONSchema(Pipeline, { io: 'input' }) } as Record<string, unknown>;
}

export const schema: Command = {
  summary: 'schema   print the JSON Schema of pipeline files',
  async run(_args, ctx) {
    ctx.stdout(`${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
    return 0;
  },
};
