import { AsyncLocalStorage } from 'node:async_hooks';
import { unreachable } from './errors.ts';

/**
 * Whose rows the code running now may touch. PostgreSQL enforces it with row-level security: the
 * store sets it on every transaction (`app.workspace_id`, or `app.scheduler`), so a query made
 * outside any scope sees no tenant rows at all. SQLite has no row-level security; there the
 * repositories' own `workspace_id` conditions are the only guard, as before.
 *
 * - `workspaces`: the request's or job's workspace (an organisation key: all of its workspaces).
 * - `scheduler`: the queue's own bookkeeping across workspaces (claiming, relaying and recovering
 *   jobs). Only the `jobs` table and the directory (`workspaces`, `organisations`) admit it; lead
 *   data stays invisible to it.
 */
export type DataScope = { kind: 'workspaces'; workspaceIds: readonly string[] } | { kind: 'scheduler' };

const storage = new AsyncLocalStorage<DataScope>();

/**
 * What a workspace id in a scope may look like. PostgreSQL receives the scope as one
 * comma-joined setting, so an id with a comma (say from a URL) would widen it to other workspaces.
 */
const SCOPE_ID = /^[A-Za-z0-9_-]{1,64}$/;

function checked(workspaceIds: readonly string[]): readonly string[] {
  for (const id of workspaceIds)
    if (!SCOPE_ID.test(id))
      unreachable(`not a workspace id for a data scope: ${JSON.stringify(id.slice(0, 80))}`);
  return workspaceIds;
}

/** Runs `fn` (and everything it awaits) in `scope`. Throws on an id that is not a workspace id. */
export function withDataScope<T>(scope: DataScope, fn: () => T): T {
  if (scope.kind === 'workspaces') checked(scope.workspaceIds);
  return storage.run(scope, fn);
}

/** Runs `fn` with one workspace's rows visible. */
export function inWorkspace<T>(workspaceId: string, fn: () => T): T {
  return storage.run({ kind: 'workspaces', workspaceIds: checked([workspaceId]) }, fn);
}

/** Runs `fn` as the queue scheduler (jobs of every workspace, no tenant data). */
export function asScheduler<T>(fn: () => T): T {
  return storage.run(SCHEDULER, fn);
}

/**
 * Runs `fn` able to read the whole directory (`workspaces`, `organisations`): routing an id or a
 * credential to its workspace before any scope exists, listing an organisation's workspaces, the
 * CLI's enumerations. On PostgreSQL the directory is visible only in a signed scope (migration
 * 018), and this is the scheduler's, the process's one cross-workspace scope, which shows no
 * tenant data. Keep `fn` to directory reads.
 */
export function readingDirectory<T>(fn: () => T): T {
  return storage.run(SCHEDULER, fn);
}

const SCHEDULER: DataScope = { kind: 'scheduler' };

export function currentDataScope(): DataScope | undefined {
  return storage.getStore();
}
