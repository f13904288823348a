import type { ScoringLeadFields } from '../leads/index.ts';
import type { Db } from '../store/index.ts';
import { fromJson } from '../store/index.ts';

/** One row of `lead_history`: what an event changed, and when. */
export interface LeadHistoryEntry {
  createdAt: number;
  changes: Record<string, { from: unknown; to: unknown }>;
}

/** A lead as it was at some moment, and how many submissions it had by then. */
export interface LeadSnapshot {
  lead: ScoringLeadFields;
  touches: number;
}

const DIRECT_FIELDS = new Set(['email', 'phone', 'company', 'title', 'country', 'source', 'status']);

type AttributeValue = ScoringLeadFields['attributes'][string];

function restore(lead: ScoringLeadFields, field: string, value: unknown): void {
  if (field.startsWith('utm.')) {
    const key = field.slice(4);
    if (typeof value === 'string') lead.utm[key] = value;
    else delete lead.utm[key];
  } else if (field.startsWith('attributes.')) {
    const key = field.slice(11);
    if (value === null || value === undefined) delete lead.attributes[key];
    else lead.attributes[key] = value as AttributeValue;
  } else if (DIRECT_FIELDS.has(field)) {
    (lead as unknown as Record<string, unknown>)[field] = value ?? null;
  }
  // Fields scoring does not read (name, companyDomain) have nothing to restore.
}

/**
 * The lead as it stood at `cutoff`: every change recorded after it is undone, newest first, so a
 * training example carries what a scorer could have seen before the outcome, not what happened
 * since (a later submission, a chat answer, a status change). `history` is the lead's
 * `lead_history` in the order it was written. The creating event is always kept: an outcome
 * dated before the lead was imported describes the lead as it arrived.
 *
 * @example
 * ```ts
 * const { lead, touches } = leadAsOf(current, history, outcome.occurredAt);
 * const record = leadRecord(lead, touches);
 * ```
 */
export function leadAsOf(
  current: ScoringLeadFields,
  history: readonly LeadHistoryEntry[],
  cutoff: number,
): LeadSnapshot {
  if (history.length === 0) return { lead: current, touches: 0 };
  let kept = history.length;
  while (kept > 1 && history[kept - 1]!.createdAt > cutoff) kept--;
  if (kept === history.length) return { lead: current, touches: kept };
  const lead: ScoringLeadFields = {
    ...current,
    utm: { ...current.utm },
    attributes: { ...current.attributes },
  };
  for (let i = history.length - 1; i >= kept; i--) {
    for (const [field, change] of Object.entries(history[i]!.changes)) restore(lead, field, change.from);
  }
  // Every event that touches a lead writes it and its history row at the same moment.
  lead.updatedAt = history[kept - 1]!.createdAt;
  return { lead, touches: kept };
}

const CHUNK = 500;

/** Each lead's history in the order it was written, only the workspace's. */
export async function historiesOf(
  db: Db,
  workspaceId: string,
  ids: readonly string[],
): Promise<Map<string, LeadHistoryEntry[]>> {
  const out = new Map<string, LeadHistoryEntry[]>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db
      .selectFrom('lead_history')
      .select(['lead_id', 'changes', 'created_at'])
      .where('workspace_id', '=', workspaceId)
      .where('lead_id', 'in', ids.slice(i, i + CHUNK))
      .orderBy('lead_id')
      .orderBy('id')
      .execute();
    for (const row of rows) {
      let entries = out.get(row.lead_id);
      if (!entries) {
        entries = [];
        out.set(row.lead_id, entries);
      }
      entries.push({ createdAt: Number(row.created_at), changes: fromJson(row.changes, {}) });
    }
  }
  return out;
}
