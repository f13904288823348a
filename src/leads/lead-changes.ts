import type { Updateable } from 'kysely';
import type { Db, LeadsTable } from '../store/index.ts';
import { toJson } from '../store/index.ts';

/**
 * Changes a stored lead's columns and records the change in its history in the same unit of work:
 * the history is how an operator (and a data-subject export) sees who changed what, and why.
 */
export async function changeLead(
  db: Db,
  workspaceId: string,
  leadId: string,
  set: Updateable<LeadsTable>,
  history: { eventId: string; action: string; changes: Record<string, unknown>; at: number },
): Promise<void> {
  await db
    .updateTable('leads')
    .set({ ...set, updated_at: history.at })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', leadId)
    .execute();
  await db
    .insertInto('lead_history')
    .values({
      workspace_id: workspaceId,
      lead_id: leadId,
      event_id: history.eventId,
      action: history.action,
      changes: toJson(history.changes),
      created_at: history.at,
    })
    .execute();
}
