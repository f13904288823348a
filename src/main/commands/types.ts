import type { ParseArgsOptionsConfig } from 'node:util';
import type { Config } from '../../config/index.ts';
import { LeadloopError } from '../../core/index.ts';

export interface CommandContext {
  config: Config;
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
}

export interface Command {
  summary: string;
  usage: string;
  options: ParseArgsOptionsConfig;
  /** Most commands keep logs quiet so that their output stays readable. */
  logLevel?: Config['LOG_LEVEL'];
  /** Exit code; -1 means "keep running" (servers). */
  run(context: CommandContext): Promise<number>;
}

export const dataDirOption = { 'data-dir': { type: 'string' } } as const satisfies ParseArgsOptionsConfig;

/**
 * A command's options: `--data-dir` and the string and boolean flags it names (a flag that may be
 * repeated is spread in beside them).
 */
export function commandOptions(
  strings: readonly string[],
  booleans: readonly string[] = [],
): ParseArgsOptionsConfig {
  return {
    ...dataDirOption,
    ...Object.fromEntries(strings.map((name) => [name, { type: 'string' as const }])),
    ...Object.fromEntries(booleans.map((name) => [name, { type: 'boolean' as const }])),
  };
}

export function str(context: CommandContext, key: string): string | undefined {
  const value = context.values[key];
  return typeof value === 'string' ? value : undefined;
}

export function bool(context: CommandContext, key: string): boolean {
  return context.values[key] === true;
}

/** Prints a command's result: its JSON with `--json`, else the text (which brings its own newline). */
export const printer = (context: CommandContext) => (value: unknown, text: string) =>
  context.stdout.write(bool(context, 'json') ? `${JSON.stringify(value)}\n` : text);

/** Who a command acts as in the audit trail: the invoking user (from the command's environment). */
export const cliActor = (context: CommandContext) =>
  ({ type: 'cli', id: context.env.USER ?? 'cli' }) as const;

/** A command line the command cannot act on (missing or bad argument): the CLI prints it and exits 1. */
export const usageError = (message: string) => new LeadloopError('validation_failed', message);

/** A workspace named on the command line that does not exist. */
export const noSuchWorkspace = (workspaceId: string) =>
  new LeadloopError('not_found', `workspace ${workspaceId} does not exist`);
