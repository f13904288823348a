import { randomBytes } from 'node:crypto';
import { type Clock, LeadloopError, type SecretBox } from '../../core/index.ts';
import type { Db } from '../../store/index.ts';
import { workspaceRow } from '../../store/index.ts';
import type { Workflow } from '../dsl/index.ts';
import type { WorkspaceRef } from '../ports.ts';

/** A workflow's inbound endpoint as its owner sees it: the path and the signing secret. */
interface InboundHook {
  path: string;
  workflowId: string;
  /** Standard Webhooks secret (`whsec_` + base64 of 32 random bytes). */
  secret: string;
}

export interface HookStore {
  /**
   * Gives the workflow an endpoint for each `webhook` trigger of `workflow` (a new secret for a
   * new path; an existing path keeps its secret) and drops its endpoints no trigger names any more.
   * `null` (deleted) drops them all. Refused when a path belongs to another workflow of the workspace.
   */
  sync(db: Db, ctx: WorkspaceRef, workflowId: string, workflow: Workflow | null): Promise<void>;
  /** The workflow's endpoints with their secrets (for its owner). */
  ofWorkflow(db: Db, ctx: WorkspaceRef, workflowId: string): Promise<InboundHook[]>;
  find(db: Db, ctx: WorkspaceRef, path: string): Promise<InboundHook | null>;
}

/** A webhook trigger's path: its own, or one made from the workflow id (`wf_01J…` → `wf-01j…`). */
function hookPathOf(workflowId: string, path: string | undefined): string {
  return path ?? workflowId.toLowerCase().replace(/_/g, '-');
}

const contextOf = (workspaceId: string, path: string) => `workflow-hook:${workspaceId}:${path}`;

export function createHookStore(options: { box: SecretBox; clock: Clock }): HookStore {
  const { box, clock } = options;
  const open = (workspaceId: string, row: { path: string; workflow_id: string; sealed_secret: string }) => ({
    path: row.path,
    workflowId: row.workflow_id,
    secret: box.open(row.sealed_secret, contextOf(workspaceId, row.path)),
  });
  return {
    async sync(db, ctx, workflowId, workflow) {
      const paths = (workflow?.triggers ?? []).flatMap((t) =>
        t.type === 'webhook' ? [hookPathOf(workflowId, t.path)] : [],
      );
      const existing = await db
        .selectFrom('workflow_hooks')
        .select(['path', 'workflow_id'])
        .where('workspace_id', '=', ctx.workspaceId)
        .execute();
      for (const path of paths) {
        const taken = existing.find((r) => r.path === path);
        if (taken && taken.workflow_id !== workflowId)
          throw new LeadloopError(
            'conflict',
            `the webhook path "${path}" belongs to workflow ${taken.workflow_id}`,
            {
              issues: [
                { field: 'triggers.path', reason: 'already used in this workspace; choose another path' },
              ],
            },
          );
        if (taken) continue;
        const secret = `whsec_${randomBytes(32).toString('base64')}`;
        await db
          .insertInto('workflow_hooks')
          .values({
            workspace_id: ctx.workspaceId,
            path,
            workflow_id: workflowId,
            sealed_secret: box.seal(secret, contextOf(ctx.workspaceId, path)),
            created_at: clock.now(),
          })
          .execute();
      }
      const stale = existing.filter((r) => r.workflow_id === workflowId && !paths.includes(r.path));
      if (stale.length > 0)
        await db
          .deleteFrom('workflow_hooks')
          .where('workspace_id', '=', ctx.workspaceId)
          .where(
            'path',
            'in',
            stale.map((r) => r.path),
          )
          .execute();
    },
    async ofWorkflow(db, ctx, workflowId) {
      const rows = await db
        .selectFrom('workflow_hooks')
        .select(['path', 'workflow_id', 'sealed_secret'])
        .where('workspace_id', '=', ctx.workspaceId)
        .where('workflow_id', '=', workflowId)
        .orderBy('path')
        .execute();
      return rows.map((r) => open(ctx.workspaceId, r));
    },
    async find(db, ctx, path) {
      const row = await workspaceRow(db, 'workflow_hooks', ctx.workspaceId, { path }, [
        'path',
        'workflow_id',
        'sealed_secret',
      ]);
      return row ? open(ctx.workspaceId, row) : null;
    },
  };
}
