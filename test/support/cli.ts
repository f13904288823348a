import { parseArgs } from 'node:util';
import type { Command } from '../../src/main/commands/index.ts';
import type { TestRuntime } from './runtime.ts';

/** Runs a command in this process, parsing arguments as `cli.ts` does. */
export async function runCommand(
  command: Command,
  runtime: TestRuntime,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { values, positionals } = parseArgs({
    args,
    options: command.options,
    allowPositionals: true,
    strict: true,
  });
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    ({
      write(chunk: string) {
        append(chunk);
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  const code = await command.run({
    config: runtime.config,
    values,
    positionals,
    stdout: sink((t) => {
      stdout += t;
    }),
    stderr: sink((t) => {
      stderr += t;
    }),
    env: { USER: 'tester' },
  });
  return { code, stdout, stderr };
}
