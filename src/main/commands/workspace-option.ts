import type { WorkspaceContext } from '../../core/index.ts';
import type { Runtime } from '../runtime.ts';
import { noSuchWorkspace, usageError } from './types.ts';

/**
 * The workspace a command works in: the one `--workspace` names, or, when it is left out, the
 * deployment's only workspace (a fresh install has just the demo one). Several workspaces and no
 * `--workspace` is an error that says so.
 */
export async function resolveWorkspace(
  runtime: Pick<Runtime, 'tenants'>,
  given: string | undefined,
): Promise<WorkspaceContext> {
  if (given) {
    const workspace = await runtime.tenants.getWorkspace(given);
    if (!workspace) throw noSuchWorkspace(given);
    return { workspaceId: workspace.id, organisationId: workspace.organisationId };
  }
  const sole = await runtime.tenants.soleWorkspace();
  if (!sole) throw usageError('give --workspace <id> (there is not exactly one workspace)');
  return { workspaceId: sole.id, organisationId: sole.organisationId };
}

/** `1 row`, `2 rows`: a count with its noun in the right number (`plural` when not noun + s). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
