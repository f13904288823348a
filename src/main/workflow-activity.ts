import { type Actor, inWorkspace, LeadloopError, type WorkspaceContext } from '../core/index.ts';
import type { WorkflowActivity, WorkflowActivityRow, WorkflowControl } from '../optimiser/index.ts';
import type { Db } from '../store/index.ts';
import type { WorkflowService } from '../workflows/index.ts';

const MINUTE = 60_000;

/**
 * The workflow engine's e-mail activity per minute and workflow, for the optimiser's streams and
 * the analytics metrics: `sent` are `send_email` steps that completed in the minute, `failed` those
 * the mail server refused (the step failed: a bounce), `unsubscribed` withdrawals of e-mail
 * marketing (the one-click link or the preference page) in the minute, each counted for the
 * workflow whose e-mail reached the person last before it. `replied` are replies to the
 * workflow's e-mail that arrived in the minute (`POST /v1/email/inbound`), read from the metric
 * rollups the monitor has just caught up (`replies` under `workflow:<id>`).
 */
/** The workspace's `send_email` steps, each beside its run (both filtered by workspace for row-level security). */
function emailSteps(db: Db, ws: string) {
  return db
    .selectFrom('workflow_steps as s')
    .innerJoin('workflow_runs as r', (j) => j.onRef('r.id', '=', 's.run_id'))
    .where('s.workspace_id', '=', ws)
    .where('r.workspace_id', '=', ws)
    .where('s.type', '=', 'send_email');
}

export async function workflowActivity(
  db: Db,
  ctx: Pick<WorkspaceContext, 'workspaceId'>,
  fromMinute: number,
  toMinute: number,
): Promise<WorkflowActivityRow[]> {
  const ws = ctx.workspaceId;
  const from = fromMinute * MINUTE;
  const to = toMinute * MINUTE;
  const rows = new Map<string, WorkflowActivityRow>();
  const row = (minute: number, workflowId: string) => {
    const key = `${minute}\u0000${workflowId}`;
    const r = rows.get(key) ?? { minute, workflowId, sent: 0, failed: 0, unsubscribed: 0 };
    rows.set(key, r);
    return r;
  };
  const sends = await emailSteps(db, ws)
    .select(['r.workflow_id', 's.status', 's.finished_at'])
    .where('s.finished_at', '>=', from)
    .where('s.finished_at', '<', to)
    .where('s.status', 'in', ['completed', 'failed'])
    .execute();
  for (const s of sends) {
    const r = row(Math.floor(Number(s.finished_at) / MINUTE), s.workflow_id);
    if (s.status === 'completed') r.sent += 1;
    else r.failed += 1;
  }
  const withdrawals = await db
    .selectFrom('consent_events')
    .select(['lead_id', 'occurred_at'])
    .where('workspace_id', '=', ws)
    .where('purpose', '=', 'email_marketing')
    .where('action', '=', 'withdraw')
    .where('occurred_at', '>=', from)
    .where('occurred_at', '<', to)
    .execute();
  const replies = await db
    .selectFrom('metric_rollups')
    .select(['minute', 'segment', 'count'])
    .where('workspace_id', '=', ws)
    .where('metric', '=', 'replies')
    .where('minute', '>=', fromMinute)
    .where('minute', '<', toMinute)
    .where('segment', 'like', 'workflow:%')
    .execute();
  for (const r of replies) {
    const added = row(Number(r.minute), r.segment.slice('workflow:'.length));
    added.replied = (added.replied ?? 0) + Number(r.count);
  }
  if (withdrawals.length === 0) return [...rows.values()];
  const leads = [...new Set(withdrawals.map((w) => w.lead_id))];
  const delivered = await emailSteps(db, ws)
    .select(['r.workflow_id', 'r.lead_id', 's.finished_at'])
    .where('r.lead_id', 'in', leads)
    .where('s.status', '=', 'completed')
    .where('s.finished_at', '<', to)
    .execute();
  for (const w of withdrawals) {
    const at = Number(w.occurred_at);
    let last: { workflow: string; at: number } | null = null;
    for (const d of delivered) {
      const sentAt = Number(d.finished_at);
      if (d.lead_id !== w.lead_id || sentAt > at) continue;
      if (!last || sentAt > last.at) last = { workflow: d.workflow_id, at: sentAt };
    }
    if (last) row(Math.floor(at / MINUTE), last.workflow).unsubscribed += 1;
  }
  return [...rows.values()];
}

export function workflowActivityPort(db: Db): WorkflowActivity {
  return {
    perMinute: (ctx, from, to) => inWorkspace(ctx.workspaceId, () => workflowActivity(db, ctx, from, to)),
  };
}

/** Deactivating and activating a workflow through the workflows service (audited there). */
export function workflowControl(service: WorkflowService): WorkflowControl {
  return {
    async pause(workspaceId, workflowId, actor: Actor) {
      try {
        const workflow = await service.get({ workspaceId }, workflowId);
        if (workflow.status !== 'active' || workflow.activeVersion === null)
          return { ok: false, reason: `workflow ${workflowId} is not active` };
        await service.deactivate({ workspaceId }, workflowId, actor);
        return { ok: true, version: workflow.activeVersion };
      } catch (error) {
        if (error instanceof LeadloopError && error.code === 'not_found')
          return { ok: false, reason: `no workflow ${workflowId} in this workspace` };
        throw error;
      }
    },
    async resume(workspaceId, workflowId, version, actor) {
      try {
        const workflow = await service.get({ workspaceId }, workflowId);
        if (workflow.status === 'active') return false;
        await service.activate({ workspaceId }, workflowId, actor, version);
        return true;
      } catch (error) {
        // Deleted since, or its version no longer verifies: it stays inactive, and the rollback says so.
        if (error instanceof LeadloopError && ['not_found', 'validation_failed'].includes(error.code))
          return false;
        throw error;
      }
    },
  };
}
