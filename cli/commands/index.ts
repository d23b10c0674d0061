// The command table: name → module. Other commands (up, runner, run) register here.
import type { Command } from '../context.ts';

export type CommandLoader = () => Promise<Command>;

export const COMMANDS: Record<string, CommandLoader> = {
  builds: async () => (await import('./builds.ts')).builds,
  logs: async () => (await import('./logs.ts')).logs,
  rerun: async () => (await import('./rerun.ts')).rerun,
  cancel: async () => (await import('./cancel.ts')).cancel,
  env: async () => (await import('./env.ts')).env,
  validate: async () => (await import('./validate.ts')).validate,
  schema: async () => (await import('./schema.ts')).schema,
  server: async () => (await import('./server.ts')).server,
  runner: async () => (await import('./runner.ts')).runner,
  up: async () => (await import('./up.ts')).up,
  run: async () => (await import('./run.ts')).run,
  dev: async () => (await import('./dev.ts')).dev,
};
