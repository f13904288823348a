import type { Config } from '../../config/index.ts';
import { inWorkspace, type WorkspaceContext } from '../../core/index.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { type CommandContext, str } from './types.ts';
import { resolveWorkspace } from './workspace-option.ts';

/** Opens the application for a command; tests pass one that reuses their runtime. */
export type RuntimeOpener = (config: Config) => Promise<Runtime>;

/** The real application, as every command opens it outside tests. */
export const openRuntime: RuntimeOpener = (config) => createRuntime(config);

/**
 * Runs `fn` with the application open and closes it afterwards, also when `fn` throws: a command
 * that left its pools and queue connections open would keep the process from exiting.
 */
export async function withRuntime<T>(
  context: CommandContext,
  fn: (runtime: Runtime) => Promise<T>,
  open: RuntimeOpener = openRuntime,
): Promise<T> {
  const runtime = await open(context.config);
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

/**
 * Opens the application and runs `fn` in the command's workspace (`--workspace`, or the only one
 * there is), inside its row-level security scope on PostgreSQL.
 */
export function withWorkspace<T>(
  context: CommandContext,
  fn: (runtime: Runtime, ctx: WorkspaceContext) => Promise<T>,
  open: RuntimeOpener = openRuntime,
): Promise<T> {
  return withRuntime(
    context,
    async (runtime) => {
      const ctx = await resolveWorkspace(runtime, str(context, 'workspace'));
      return inWorkspace(ctx.workspaceId, () => fn(runtime, ctx));
    },
    open,
  );
}
