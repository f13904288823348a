import { sql } from 'kysely';
import type { WorkspaceContext } from '../core/index.ts';
import type { LeadsTable, UnitOfWork } from '../store/index.ts';
import { dbOf, fromJson } from '../store/index.ts';
import type { Lead, LeadStatus } from './lead.ts';
import {
  selectLeadByEmail,
  selectLeadByPhone,
  selectLeadsByEmail,
  selectLeadsByPhone,
} from './lead-statements.ts';

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
  const row = await db
    .selectFrom('leads')
    .selectAll()
    .where('workspace_id', '=', ctx.workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toLead(row) : null;
}

export async function findLeadByEmailOrPhone(
  unit: UnitOfWork,
  ctx: WorkspaceContext,
  key: { email: string | null; phone: string | null },
): Promise<Lead | null> {
  const db = dbOf(unit);
  const { workspaceId } = ctx;
  const found = key.email
    ? await selectLeadByEmail.execute(db, { workspaceId, value: key.email })
    : key.phone
      ? await selectLeadByPhone.execute(db, { workspaceId, value: key.phone })
      : null;
  const row = found?.rows[0];
  return row ? toLead(row) : null;
}

/**
 * The workspace's leads with any of `emails` or `phones`, ordered by id (a key's first row is what
 * `findLeadByEmailOrPhone` finds): one statement per chunk of keys, for a batch of events.
 */
export async function findLeadsByEmailOrPhone(
  unit: UnitOfWork,
  workspaceId: string,
  emails: readonly string[],
  phones: readonly string[],
): Promise<LeadsTable[]> {
  const db = dbOf(unit);
  const rows = [
    ...(await selectLeadsByEmail.execute(
      db,
      emails.map((value) => ({ workspaceId, value })),
    )),
    ...(await selectLeadsByPhone.execute(
      db,
      phones.map((value) => ({ workspaceId, value })),
    )),
  ];
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function leadHistory(
  unit: UnitOfWork,
  ctx: WorkspaceContext,
  leadId: string,
): Promise<LeadHistoryEntry[]> {
  const db = dbOf(unit);
  const rows = await db
    .selectFrom('lead_history')
    .selectAll()
    .where('workspace_id', '=', ctx.workspaceId)
    .where('lead_id', '=', leadId)
    .orderBy('id')
    .execute();
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
  const rows = await db
    .selectFrom('consent_records')
    .selectAll()
    .where('workspace_id', '=', ctx.workspaceId)
    .where('lead_id', '=', leadId)
    .orderBy('given_at')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    purposes: fromJson(r.purposes, []),
    textVersion: r.text_version,
    givenAt: Number(r.given_at),
    method: r.method,
  }));
}

export interface LeadListQuery {
  email?: string | undefined;
  status?: LeadStatus | undefined;
  source?: string | undefined;
  /** Score band, inclusive. */
  minScore?: number | undefined;
  maxScore?: number | undefined;
  /** Words matched against e-mail, name and company (case-insensitive substring). */
  q?: string | undefined;
  /** Opaque cursor from a previous page. */
  cursor?: string | undefined;
  limit: number;
}

export function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeCursor(cursor: string): string | null {
  const id = Buffer.from(cursor, 'base64url').toString();
  return /^lead_[0-9A-Z]{26}$/.test(id) ? id : null;
}

/** Newest first; the cursor is the last id seen (ids sort by creation time). */
export async function listLeads(
  unit: UnitOfWork,
  ctx: WorkspaceContext,
  query: LeadListQuery,
): Promise<{ items: Lead[]; nextCursor: string | null }> {
  const db = dbOf(unit);
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const rows = await db
    .selectFrom('leads')
    .selectAll()
    .where('workspace_id', '=', ctx.workspaceId)
    .$if(query.email !== undefined, (q) =>
      q.where('email', '=', (query.email as string).trim().toLowerCase()),
    )
    .$if(query.status !== undefined, (q) => q.where('status', '=', query.status as string))
    .$if(query.source !== undefined, (q) => q.where('source', '=', query.source as string))
    .$if(query.minScore !== undefined, (q) => q.where('score', '>=', query.minScore as number))
    .$if(query.maxScore !== undefined, (q) => q.where('score', '<=', query.maxScore as number))
    .$if(Boolean(query.q?.trim()), (q) => {
      // Newest first by id, so a search walks the id index and stops at a page of matches.
      const like = `%${(query.q as string)
        .trim()
        .toLowerCase()
        .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return q.where((eb) =>
        eb.or(
          (['email', 'name', 'company'] as const).map((column) =>
            eb(sql`lower(${sql.ref(column)})`, 'like', sql`${like} escape '\\'`),
          ),
        ),
      );
    })
    .$if(after !== null, (q) => q.where('id', '<', after as string))
    .orderBy('id', 'desc')
    .limit(query.limit + 1)
    .execute();
  const items = rows.slice(0, query.limit).map(toLead);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null };
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
  const row = await db
    .selectFrom('events')
    .select(['id', 'status', 'source', 'lead_id', 'error', 'created_at', 'processed_at'])
    .where('workspace_id', '=', ctx.workspaceId)
    .where('id', '=', eventId)
    .executeTakeFirst();
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
