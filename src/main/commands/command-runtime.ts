import type { Config } from '../../config/index.ts';
import { inWorkspace, type WorkspaceContext } from '../../core/index.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { type CommandContext, str } from './types.ts';
import { resolveWorkspace } from './workspace-option.ts';

/** Opens the application for a command; tests pass one that reuses their runtime. */
export type RuntimeOpener = (config: Config) => Promise<Runtime>;

/**
 * How commands reach the application, over an opener (the real application by default):
 * - `withRuntime` runs `fn` with the application open and closes it afterwards, also when `fn`
 *   throws: a command that left its pools and queue connections open would keep the process alive.
 * - `withWorkspace` does the same in the command's workspace (`--workspace`, or the only one there
 *   is), inside its row-level security scope on PostgreSQL.
 */
export function runtimeScopes(open: RuntimeOpener = (config) => createRuntime(config)) {
  async function withRuntime<T>(context: CommandContext, fn: (runtime: Runtime) => Promise<T>): Promise<T> {
    const runtime = await open(context.config);
    try {
      return await fn(runtime);
    } finally {
      await runtime.close();
    }
  }
  function withWorkspace<T>(
    context: CommandContext,
    fn: (runtime: Runtime, ctx: WorkspaceContext) => Promise<T>,
  ): Promise<T> {
    return withRuntime(context, async (runtime) => {
      const ctx = await resolveWorkspace(runtime, str(context, 'workspace'));
      return inWorkspace(ctx.workspaceId, () => fn(runtime, ctx));
    });
  }
  return { withRuntime, withWorkspace };
}
