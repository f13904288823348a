import { createHash } from 'node:crypto';
import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator, WorkspaceContext } from '../core/index.ts';
import type { ConsentEventsTable, Db } from '../store/index.ts';
import { fixedChunks, workspaceRows } from '../store/index.ts';
import { type ConsentMethod, DEFAULT_ALLOWED, DEFAULT_BASIS, PURPOSES, type Purpose } from './purposes.ts';

type ConsentAction = 'grant' | 'withdraw';

/** One grant or withdrawal of one purpose, as a caller records it. */
export interface ConsentEntryInput {
  purpose: string;
  action: ConsentAction;
  noticeVersion?: string | null;
  /** The notice text shown; only its sha256 is kept. */
  noticeText?: string | null;
  noticeHash?: string | null;
  method: ConsentMethod;
  /** Where: the event source, `preference_page`, a request id. */
  source: string;
  gpc?: boolean;
  /** A reference (event, session or request id), never personal data. */
  evidence?: string | null;
  occurredAt: number;
}

export interface ConsentEntry {
  id: string;
  leadId: string;
  purpose: string;
  action: ConsentAction;
  noticeVersion: string | null;
  noticeHash: string | null;
  method: string;
  source: string;
  gpc: boolean;
  evidence: string | null;
  occurredAt: number;
  recordedAt: number;
}

interface PurposeState {
  purpose: string;
  allowed: boolean;
  /** `recorded` (from the ledger) or the default's legal basis. */
  basis: string;
  since: number | null;
  method: string | null;
  noticeVersion: string | null;
}

/** The current consent of one lead, derived from its ledger (never stored, never edited). */
export interface ConsentState {
  leadId: string;
  purposes: Record<string, PurposeState>;
  /** Processing restricted (Art. 18): kept, not scored, not contacted. */
  restricted: boolean;
  /** Opted out of sale/share (CCPA, GPC): nothing may send this lead to a third party. */
  saleOrShareOptOut: boolean;
  /** Global Privacy Control was received for this person at least once. */
  gpc: boolean;
  /** May be scored and profiled now (profiling allowed and not restricted). */
  profilingAllowed: boolean;
}

/** The port other capabilities use (scoring features, council tools, workflows): read at the moment of use. */
export type ConsentStateReader = (db: Db, ctx: WorkspaceContext, leadId: string) => Promise<ConsentState>;

function noticeHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function toEntry(row: ConsentEventsTable): ConsentEntry {
  return {
    id: row.id,
    leadId: row.lead_id,
    purpose: row.purpose,
    action: row.action as ConsentAction,
    noticeVersion: row.notice_version,
    noticeHash: row.notice_hash,
    method: row.method,
    source: row.source,
    gpc: row.gpc === 1,
    evidence: row.evidence,
    occurredAt: Number(row.occurred_at),
    recordedAt: Number(row.recorded_at),
  };
}

/** Current state from the ledger: per purpose, the latest entry by time of occurrence wins. */
export function deriveConsentState(leadId: string, history: readonly ConsentEntry[]): ConsentState {
  const purposes: Record<string, PurposeState> = {};
  for (const purpose of PURPOSES)
    purposes[purpose] = {
      purpose,
      allowed: DEFAULT_ALLOWED[purpose],
      basis: DEFAULT_BASIS[purpose],
      since: null,
      method: null,
      noticeVersion: null,
    };
  const ordered = [...history].sort(
    (a, b) => a.occurredAt - b.occurredAt || a.recordedAt - b.recordedAt || a.id.localeCompare(b.id),
  );
  let gpc = false;
  for (const entry of ordered) {
    if (entry.gpc) gpc = true;
    purposes[entry.purpose] = {
      purpose: entry.purpose,
      allowed: entry.action === 'grant',
      basis: 'recorded',
      since: entry.occurredAt,
      method: entry.method,
      noticeVersion: entry.noticeVersion,
    };
  }
  const allowed = (p: Purpose) => purposes[p]?.allowed === true;
  const restricted = !allowed('processing');
  return {
    leadId,
    purposes,
    restricted,
    saleOrShareOptOut: !allowed('sale_or_share') && purposes.sale_or_share?.basis === 'recorded',
    gpc,
    profilingAllowed: allowed('profiling') && !restricted,
  };
}

export interface ConsentLedger {
  /** Appends entries (never updates); one audit entry per entry, references only. */
  record(
    db: Db,
    ctx: WorkspaceContext,
    leadId: string,
    entries: ConsentEntryInput[],
    actor: Actor,
  ): Promise<ConsentEntry[]>;
  history(db: Db, ctx: WorkspaceContext, leadId: string): Promise<ConsentEntry[]>;
  state: ConsentStateReader;
  /** The states of several leads of one workspace, read in one statement per chunk of ids. */
  states(db: Db, ctx: WorkspaceContext, leadIds: readonly string[]): Promise<Map<string, ConsentState>>;
}

export function createConsentLedger(options: {
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
}): ConsentLedger {
  const { clock, ids, audit } = options;

  async function history(db: Db, ctx: WorkspaceContext, leadId: string): Promise<ConsentEntry[]> {
    const rows = await workspaceRows(db, 'consent_events', ctx.workspaceId, { lead_id: leadId }, [
      'occurred_at',
      'recorded_at',
      'id',
    ]);
    return rows.map(toEntry);
  }

  return {
    history,
    async state(db, ctx, leadId) {
      return deriveConsentState(leadId, await history(db, ctx, leadId));
    },
    async states(db, ctx, leadIds) {
      const byLead = new Map<string, ConsentEntry[]>(leadIds.map((id) => [id, []]));
      for (const chunk of fixedChunks(leadIds)) {
        const rows = await db
          .selectFrom('consent_events')
          .selectAll()
          .where('workspace_id', '=', ctx.workspaceId)
          .where('lead_id', 'in', chunk)
          .execute();
        for (const row of rows) byLead.get(row.lead_id)?.push(toEntry(row));
      }
      // deriveConsentState orders each lead's entries itself.
      return new Map([...byLead].map(([id, entries]) => [id, deriveConsentState(id, entries)]));
    },
    async record(db, ctx, leadId, entries, actor) {
      if (entries.length === 0) return [];
      const now = clock.now();
      const rows: ConsentEventsTable[] = entries.map((e) => ({
        id: ids.next('con'),
        workspace_id: ctx.workspaceId,
        lead_id: leadId,
        purpose: e.purpose,
        action: e.action,
        notice_version: e.noticeVersion ?? null,
        notice_hash: e.noticeHash ?? (e.noticeText ? noticeHash(e.noticeText) : null),
        method: e.method,
        source: e.source,
        gpc: e.gpc ? 1 : 0,
        evidence: e.evidence ?? null,
        occurred_at: e.occurredAt,
        recorded_at: now,
      }));
      await db.insertInto('consent_events').values(rows).execute();
      await audit.appendMany(
        db,
        ctx.workspaceId,
        rows.map((row) => ({
          actor,
          action: row.action === 'grant' ? 'consent.granted' : 'consent.withdrawn',
          subject: leadId,
          reason: `${row.purpose} ${row.action === 'grant' ? 'granted' : 'withdrawn'} by ${row.method}${row.gpc ? ' (Global Privacy Control)' : ''}`,
          data: {
            consentId: row.id,
            purpose: row.purpose,
            method: row.method,
            source: row.source,
            noticeVersion: row.notice_version,
            noticeHash: row.notice_hash,
            evidence: row.evidence,
            gpc: row.gpc === 1,
          },
        })),
      );
      return rows.map(toEntry);
    },
  };
}
