#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.ts';
import { type CommandContext, commands, usage } from './commands/index.ts';

/** `leadloop <command> [subcommand] [options]`: the only entry point that reads the environment. */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`leadloop: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: command.options,
    allowPositionals: true,
    strict: true,
  });
  const flag = (key: string) => {
    const value = values[key];
    return typeof value === 'string' ? value : undefined;
  };
  const config = loadConfig(process.env, {
    PORT: flag('port'),
    HOST: flag('host'),
    LEADLOOP_DATA_DIR: flag('data-dir'),
    LOG_LEVEL: command.logLevel ?? undefined,
  });
  const context: CommandContext = {
    config,
    values,
    positionals,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  };
  return command.run(context);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof ConfigError ||
      (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`leadloop: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`leadloop: ${message}\n`);
    if (error && typeof error === 'object' && 'issues' in error && Array.isArray(error.issues)) {
      for (const issue of error.issues as { field: string; reason: string }[])
        process.stderr.write(`  ${issue.field}: ${issue.reason}\n`);
    }
    process.exitCode = 1;
  },
);
