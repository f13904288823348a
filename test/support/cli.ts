import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
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

/** Runs the real CLI (`src/main/cli.ts`) in a child process, logging warnings only; `env` overrides this process's. */
export function spawnCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [join(import.meta.dirname, '../../src/main/cli.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
}

/** Creates a workspace with `leadloop workspace create --json` in a SQLite data directory: what it prints. */
export function cliWorkspace(
  dataDir: string,
  name: string,
): Record<string, string> & { workspaceId: string } {
  const created = spawnCli(['workspace', 'create', name, '--data-dir', dataDir, '--json']);
  assert.equal(created.status, 0, created.stderr);
  return JSON.parse(created.stdout) as Record<string, string> & { workspaceId: string };
}

/** Runs `leadloop audit verify` on a SQLite data directory and asserts every chain is intact. */
export function assertAuditIntact(dataDir: string): void {
  const verify = spawnCli(['audit', 'verify', '--data-dir', dataDir]);
  assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /audit trail intact/);
}

/**
 * `spawnCli` on one SQLite data directory: each call's arguments end with `--data-dir <dir.path>`,
 * read at call time (so a directory `useTempDir` makes in `before` serves). `env` as `spawnCli`'s,
 * the call's own `env` over the one given here.
 */
export function cliIn(dir: { readonly path: string }, env: Record<string, string> = {}) {
  return (args: string[], more: Record<string, string> = {}) =>
    spawnCli([...args, '--data-dir', dir.path], { ...env, ...more });
}
