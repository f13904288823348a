import type { WorkspaceContext } from '../core/index.ts';
import type { LeadsTable, UnitOfWork } from '../store/index.ts';
import { dbOf, fromJson, workspaceRow, workspaceRows } from '../store/index.ts';
import type { Lead, LeadStatus } from './lead.ts';
import { selectLeadsByKeys } from './lead-statements.ts';

export interface LeadHistoryEntry {
  eventId: string;
  action: string;
  changes: Record<string, { from: unknown; to: unknown }>;
  at: number;
}

export interface ConsentRecord {
  id: string;
  eventId: string;
  purposes: string[];
  textVersion: string;
  givenAt: number;
  method: string;
}

export function toLead(row: LeadsTable): Lead {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    email: row.email,
    phone: row.phone,
    name: row.name,
    company: row.company,
    companyDomain: row.company_domain,
    title: row.title,
    country: row.country,
    source: row.source,
    utm: fromJson(row.utm, {}),
    attributes: fromJson(row.attributes, {}),
    status: row.status as LeadStatus,
    score: row.score,
    scoreBreakdown: fromJson(row.score_breakdown, []),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Every read names the workspace: a lead id from another workspace is simply not found. */
export async function findLead(unit: UnitOfWork, ctx: WorkspaceContext, id: string): Promise<Lead | null> {
  const db = dbOf(unit);
  const row = await workspaceRow(db, 'leads', ctx.workspaceId, { id });
  return row ? toLead(row) : null;
}

/**
 * The workspace's leads with any of `emails` or `phones`, ordered by id (a key's first row is what
 * `findLeadByEmailOrPhone` finds): one statement per key column on PostgreSQL, per chunk of keys on
 * SQLite, for a batch of events.
 */
export async function findLeadsByEmailOrPhone(
  unit: UnitOfWork,
  workspaceId: string,
  emails: readonly string[],
  phones: readonly string[],
): Promise<LeadsTable[]> {
  const db = dbOf(unit);
  const rows = [
    ...(await selectLeadsByKeys(db, 'email', workspaceId, emails)),
    ...(await selectLeadsByKeys(db, 'phone', workspaceId, phones)),
  ];
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function leadHistory(
  unit: UnitOfWork,
  ctx: WorkspaceContext,
  leadId: string,
): Promise<LeadHistoryEntry[]> {
  const db = dbOf(unit);
  const rows = await workspaceRows(db, 'lead_history', ctx.workspaceId, { lead_id: leadId }, ['id']);
  return rows.map((r) => ({
    eventId: r.event_id,
    action: r.action,
    changes: fromJson(r.changes, {}),
    at: Number(r.created_at),
  }));
}

export async function leadConsents(
  unit: UnitOfWork,
  ctx: WorkspaceContext,
  leadId: string,
): Promise<ConsentRecord[]> {
  const db = dbOf(unit);
  const rows = await workspaceRows(db, 'consent_records', ctx.workspaceId, { lead_id: leadId }, ['given_at']);
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    purposes: fromJson(r.purposes, []),
    textVersion: r.text_version,
    givenAt: Number(r.given_at),
    method: r.method,
  }));
}

export interface SubmissionStatus {
  id: string;
  status: 'accepted' | 'processed' | 'failed';
  source: string;
  leadId: string | null;
  error: string | null;
  acceptedAt: number;
  processedAt: number | null;
}

export async function findEventStatus(
  unit: UnitOfWork,
  ctx: WorkspaceContext,
  eventId: string,
): Promise<SubmissionStatus | null> {
  const db = dbOf(unit);
  const row = await workspaceRow(db, 'events', ctx.workspaceId, { id: eventId }, [
    'id',
    'status',
    'source',
    'lead_id',
    'error',
    'created_at',
    'processed_at',
  ]);
  if (!row) return null;
  return {
    id: row.id,
    status: row.status as SubmissionStatus['status'],
    source: row.source,
    leadId: row.lead_id,
    error: row.error,
    acceptedAt: Number(row.created_at),
    processedAt: row.processed_at === null ? null : Number(row.processed_at),
  };
}
