import type { WorkspaceContext } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { workspaceRow } from '../store/index.ts';
import type { SubjectScope } from './holders.ts';

/** The ids of the events of these leads (at least one lead). */
async function eventIdsOf(db: Db, ctx: WorkspaceContext, leadIds: readonly string[]): Promise<string[]> {
  const events = await db
    .selectFrom('events')
    .select('id')
    .where('workspace_id', '=', ctx.workspaceId)
    .where('lead_id', 'in', [...leadIds])
    .execute();
  return events.map((e) => e.id);
}

/** How a person is named in a request: by email, phone or a lead id (at least one). */
export interface SubjectRef {
  email?: string | undefined;
  phone?: string | undefined;
  leadId?: string | undefined;
}

/** Normalises contact details the way ingestion stores them (port: wired to ingest's normaliser). */
export interface ContactNormaliser {
  email(raw: string): string | null;
  phone(raw: string): string | null;
}

/**
 * Finds every lead of the workspace that is this person: the normalised email or phone, then one
 * round through what those leads hold (a lead found by email may carry a phone that another lead
 * has), and their events, including accepted events not yet processed (matched in the payload).
 */
export async function resolveSubject(
  db: Db,
  ctx: WorkspaceContext,
  ref: SubjectRef,
  normalise: ContactNormaliser,
): Promise<SubjectScope> {
  const emails = new Set<string>();
  const phones = new Set<string>();
  const leadIds = new Set<string>();
  const email = ref.email ? normalise.email(ref.email) : null;
  const phone = ref.phone ? normalise.phone(ref.phone) : null;
  if (email) emails.add(email);
  if (phone) phones.add(phone);
  if (ref.leadId) leadIds.add(ref.leadId);

  for (let round = 0; round < 2; round++) {
    // One indexed lookup per key: an OR across columns would scan the workspace's leads.
    const base = () =>
      db.selectFrom('leads').select(['id', 'email', 'phone']).where('workspace_id', '=', ctx.workspaceId);
    const rows = [
      ...(emails.size > 0
        ? await base()
            .where('email', 'in', [...emails])
            .execute()
        : []),
      ...(phones.size > 0
        ? await base()
            .where('phone', 'in', [...phones])
            .execute()
        : []),
      ...(leadIds.size > 0
        ? await base()
            .where('id', 'in', [...leadIds])
            .execute()
        : []),
    ];
    const before = leadIds.size + emails.size + phones.size;
    for (const row of rows) {
      leadIds.add(row.id);
      if (row.email) emails.add(row.email);
      if (row.phone) phones.add(row.phone);
    }
    // A chat visitor who gave this person's e-mail got a lead of their own that claims theirs
    // (and keeps the e-mail as `claimed_email`): both sides of a claim are the person's.
    if (leadIds.size > 0) {
      const claims = await db
        .selectFrom('identity_claims')
        .select(['lead_id', 'claimed_lead_id'])
        .where('workspace_id', '=', ctx.workspaceId)
        .where((eb) => eb.or([eb('lead_id', 'in', [...leadIds]), eb('claimed_lead_id', 'in', [...leadIds])]))
        .execute();
      for (const claim of claims) {
        leadIds.add(claim.lead_id);
        leadIds.add(claim.claimed_lead_id);
      }
    }
    if (leadIds.size + emails.size + phones.size === before) break;
  }
  // A lead id given alone that names no lead of this workspace matches nothing.
  if (ref.leadId && emails.size === 0 && phones.size === 0) {
    const exists = await workspaceRow(db, 'leads', ctx.workspaceId, { id: ref.leadId }, ['id']);
    if (!exists) leadIds.delete(ref.leadId);
  }

  const eventIds = new Set<string>(leadIds.size > 0 ? await eventIdsOf(db, ctx, [...leadIds]) : []);
  const contacts = [...emails, ...phones];
  if (contacts.length > 0) {
    // Not yet processed (or failed) events have no lead: their stored payload names the person.
    const pending = await db
      .selectFrom('events')
      .select('id')
      .where('workspace_id', '=', ctx.workspaceId)
      .where('lead_id', 'is', null)
      .where((eb) =>
        eb.or(contacts.map((c) => eb(eb.fn('lower', ['payload']), 'like', `%${c.toLowerCase()}%`))),
      )
      .execute();
    for (const e of pending) eventIds.add(e.id);
  }
  return {
    db,
    ctx,
    leadIds: [...leadIds],
    eventIds: [...eventIds],
    emails: [...emails],
    phones: [...phones],
  };
}

/** The scope of a set of leads (a retention batch): their events and contact details, no widening. */
export async function scopeOfLeads(
  db: Db,
  ctx: WorkspaceContext,
  leadIds: readonly string[],
): Promise<SubjectScope> {
  if (leadIds.length === 0) return { db, ctx, leadIds: [], eventIds: [], emails: [], phones: [] };
  const leads = await db
    .selectFrom('leads')
    .select(['id', 'email', 'phone'])
    .where('workspace_id', '=', ctx.workspaceId)
    .where('id', 'in', [...leadIds])
    .execute();
  return {
    db,
    ctx,
    leadIds: [...leadIds],
    eventIds: await eventIdsOf(db, ctx, leadIds),
    emails: leads.flatMap((l) => (l.email ? [l.email] : [])),
    phones: leads.flatMap((l) => (l.phone ? [l.phone] : [])),
  };
}
