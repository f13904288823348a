import type { WorkflowSummary } from '../../council/index.ts';
import type { Db } from '../../store/index.ts';
import type { Workflow } from '../../workflows/index.ts';

/**
 * The workspace's workflows as the council's `listWorkflows` tool shows them: the active version
 * (else the latest) with its triggers and steps, names and kinds only (no templates, URLs or
 * credentials reach a prompt).
 */
export async function workflowSummaries(db: Db, workspaceId: string): Promise<WorkflowSummary[]> {
  const rows = await db
    .selectFrom('workflows as w')
    .innerJoin('workflow_versions as v', (j) =>
      j
        .onRef('v.workflow_id', '=', 'w.id')
        .on('v.workspace_id', '=', workspaceId)
        .on((eb) => eb('v.version', '=', eb.fn.coalesce('w.active_version', 'w.latest_version'))),
    )
    .select(['w.id', 'w.name', 'w.status', 'v.definition'])
    .where('w.workspace_id', '=', workspaceId)
    .where('w.deleted_at', 'is', null)
    .orderBy('w.created_at')
    .limit(500)
    .execute();
  return rows.map((row) => {
    const definition = JSON.parse(row.definition) as Workflow;
    return {
      id: row.id,
      name: row.name.slice(0, 200),
      active: row.status === 'active',
      trigger: definition.triggers
        .map((t) => t.type)
        .join(', ')
        .slice(0, 200),
      steps: definition.steps.slice(0, 100).map((step) => ({
        id: step.id.slice(0, 100),
        kind: step.type,
        name: ('name' in step && typeof step.name === 'string' ? step.name : step.id).slice(0, 200),
      })),
    };
  });
}
