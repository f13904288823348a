import type { Clock } from '../../core/index.ts';
import type { Db, WorkflowRunsTable } from '../../store/index.ts';
import type { SettingsStore, WorkspaceWorkflowSettings } from '../credentials/settings-store.ts';
import type { Workflow } from '../dsl/index.ts';

export type Admission = ReturnType<typeof createAdmission>;

/**
 * Which runs may execute now: a workflow's concurrency limit (its own setting, else the workspace's)
 * counted over its `running` runs, and the workspace settings every step reads, cached briefly.
 */
export function createAdmission(options: { clock: Clock; settings: SettingsStore }) {
  const { clock, settings } = options;

  /** Settings change rarely and every step reads them: cached per workspace for a second. */
  const settingsCache = new Map<string, { at: number; value: WorkspaceWorkflowSettings }>();
  async function settingsOf(db: Db, workspaceId: string): Promise<WorkspaceWorkflowSettings> {
    const hit = settingsCache.get(workspaceId);
    if (hit && clock.now() - hit.at < 1000) return hit.value;
    const value = await settings.get(db, { workspaceId });
    if (settingsCache.size > 10_000) settingsCache.clear();
    settingsCache.set(workspaceId, { at: clock.now(), value });
    return value;
  }

  function concurrencyOf(wf: Workflow, ws: WorkspaceWorkflowSettings): number {
    return wf.settings?.maxConcurrentRuns ?? ws.concurrencyPerWorkflow;
  }

  async function runningOf(db: Db, workflowId: string): Promise<number> {
    const running = await db
      .selectFrom('workflow_runs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workflow_id', '=', workflowId)
      .where('status', '=', 'running')
      .executeTakeFirstOrThrow();
    return Number(running.n);
  }

  /** Takes a concurrency slot for a queued run in `db`; false when its workflow has none free. */
  async function admitIn(
    db: Db,
    run: WorkflowRunsTable,
    wf: Workflow,
    ws: WorkspaceWorkflowSettings,
  ): Promise<boolean> {
    if ((await runningOf(db, run.workflow_id)) >= concurrencyOf(wf, ws)) return false;
    await db
      .updateTable('workflow_runs')
      .set({ status: 'running', updated_at: clock.now() })
      .where('workspace_id', '=', run.workspace_id)
      .where('id', '=', run.id)
      .where('status', '=', 'queued')
      .execute();
    return true;
  }

  return { settingsOf, runningOf, concurrencyOf, admitIn };
}
