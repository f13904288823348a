import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { WorkspaceContext } from '../core/index.ts';
import type { DialectName, UnitOfWork } from '../store/index.ts';
import { dbOf } from '../store/index.ts';
import type { Lead, LeadStatus } from './lead.ts';
import { toLead } from './lead-repository.ts';
import { seniorityOf } from './vocabulary.ts';

/** A segment as scoring draws it: `segmentBy` (source, country, seniority, utm.<key>, attributes.<key>) and a value. */
interface LeadSegment {
  by: string;
  /** `(none)` is the segment of leads without a value, as scoring names it. */
  value: string;
}

export interface LeadListQuery {
  email?: string | undefined;
  status?: LeadStatus | undefined;
  source?: string | undefined;
  /** Score band, inclusive. */
  minScore?: number | undefined;
  maxScore?: number | undefined;
  /** Each word begins a word of the e-mail, name or company (case-insensitive). */
  q?: string | undefined;
  /** `attributes.owner`, as workflows' assign_owner sets it. */
  owner?: string | undefined;
  segment?: LeadSegment | undefined;
  /** The privacy ledger's current state of one purpose. */
  consent?: { purpose: string; allowed: boolean } | undefined;
  /** Opaque cursor from a previous page. */
  cursor?: string | undefined;
  limit: number;
}

/**
 * Leads whose latest consent-ledger entry for a purpose is a grant or a withdrawal. Declared here,
 * answered by the privacy capability (wired in main), so the inbox filters on the ledger's own
 * derivation instead of a copy of it.
 */
export interface ConsentFilterPort {
  /** A subquery of lead ids (one column) of the workspace whose latest entry for `purpose` is `action`. */
  latest(
    unit: UnitOfWork,
    workspaceId: string,
    purpose: string,
    action: 'grant' | 'withdraw',
  ): Expression<unknown>;
  /** What the ledger assumes for a purpose with no entry; null for an unknown purpose. */
  defaultAllowed(purpose: string): boolean | null;
}

export interface LeadListOptions {
  dialect: DialectName;
  consent?: ConsentFilterPort | undefined;
}

/** Rows a seniority filter (computed from the title, not stored) reads before it answers a short page. */
const SCAN_BUDGET = 5000;

interface Position {
  createdAt: number;
  id: string;
}

function encodeCursor(position: Position): string {
  return Buffer.from(`${position.createdAt}.${position.id}`).toString('base64url');
}

function decodeCursor(cursor: string): Position | null {
  const match = /^(\d{1,16})\.(lead_[0-9A-Z]{26})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? { createdAt: Number(match[1]), id: match[2] as string } : null;
}

/** The words of a search, as both databases' indexes split text (letters and digits). */
function searchWords(q: string): string[] {
  return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8);
}

function jsonText(dialect: DialectName, column: 'attributes' | 'utm', key: string): RawBuilder<unknown> {
  // The owner expression is written exactly as the index `leads_ws_owner` (052) declares it.
  if (column === 'attributes' && key === 'owner')
    return dialect === 'postgres'
      ? sql`(attributes::jsonb ->> 'owner')`
      : sql`json_extract(attributes, '$.owner')`;
  return dialect === 'postgres'
    ? sql`(${sql.ref(column)}::jsonb ->> ${key})`
    : sql`cast(json_extract(${sql.ref(column)}, ${`$."${key.replace(/"/g, '')}"`}) as text)`;
}

/** A SQL predicate for a segment, or a row test when the segment is computed (seniority). */
function segmentFilter(
  dialect: DialectName,
  segment: LeadSegment,
): { sql: RawBuilder<SqlBool> } | { test: (lead: Lead) => boolean } {
  const none = segment.value === '(none)';
  const equals = (expr: RawBuilder<unknown>): { sql: RawBuilder<SqlBool> } => ({
    sql: none ? sql<SqlBool>`(${expr} is null or ${expr} = '')` : sql<SqlBool>`${expr} = ${segment.value}`,
  });
  if (segment.by === 'source' || segment.by === 'country') return equals(sql.ref(segment.by));
  if (segment.by.startsWith('utm.')) return equals(jsonText(dialect, 'utm', segment.by.slice(4)));
  if (segment.by.startsWith('attributes.'))
    return equals(jsonText(dialect, 'attributes', segment.by.slice(11)));
  if (segment.by === 'seniority')
    return { test: (lead) => (seniorityOf(lead.title) ?? '(none)') === segment.value };
  return { sql: sql<SqlBool>`1 = 0` };
}

function searchFilter(dialect: DialectName, words: readonly string[]): RawBuilder<SqlBool> {
  if (dialect === 'postgres') {
    const query = words.map((w) => `${w}:*`).join(' & ');
    return sql<SqlBool>`search_document @@ to_tsquery('simple', ${query})`;
  }
  // The FTS5 table shares the leads' rowids (external content); the workspace is checked outside.
  return sql<SqlBool>`leads.rowid in (select rowid from leads_fts where leads_fts match ${ftsMatch(words)})`;
}

function ftsMatch(words: readonly string[]): string {
  return `{email name company} : (${words.map((w) => `"${w}"*`).join(' AND ')})`;
}

/**
 * Rows a SQLite search reads newest first, testing the words in JavaScript, before it asks the
 * FTS5 index at all. A common prefix (`company*` over 5,000 distinct words) makes FTS5 merge every
 * word's posting list before it yields one row (about 65 ms quiet, 226 ms loaded at 100,000 leads),
 * while the newest few hundred leads already fill a page; a rare word leaves the walk short and
 * falls through to the index, having read at most this many rows.
 */
const WALK_BUDGET = 800;
const WALK_BATCH = 200;

/** The same words as FTS5's unicode61 tokenizer makes (letters, digits, private-use), folded to lower case. */
function textWords(lead: { email: string | null; name: string | null; company: string | null }): string[] {
  const text = `${lead.email ?? ''} ${lead.name ?? ''} ${lead.company ?? ''}`.toLowerCase();
  return text.match(/[\p{L}\p{N}\p{Co}]+/gu) ?? [];
}

/** The FTS query `{email name company} : ("a"* AND "b"*)` as a row test. */
function matchesWords(
  lead: { email: string | null; name: string | null; company: string | null },
  words: readonly string[],
): boolean {
  const tokens = textWords(lead);
  return words.every((w) => tokens.some((t) => t.startsWith(w)));
}

/** Matches below which a search reads the index first and sorts, rather than walking the newest leads. */
const FEW_MATCHES = 2000;

/**
 * SQLite walks the newest leads and probes the match set, which is quick when matches are
 * common and slow when they are rare (every lead is probed); reading the few matches and sorting
 * them is the reverse. A capped count of the matches picks the plan. PostgreSQL's planner makes
 * this choice itself from the statistics of the stored search document.
 */
async function fewSearchMatches(unit: UnitOfWork, words: readonly string[]): Promise<boolean> {
  const { rows } = await sql<{
    n: number;
  }>`select count(*) as n from (select rowid from leads_fts where leads_fts match ${ftsMatch(words)} limit ${FEW_MATCHES + 1})`.execute(
    dbOf(unit),
  );
  return Number(rows[0]?.n ?? 0) <= FEW_MATCHES;
}

/** Newest first by (created_at, id), the keyset every inbox index ends in. */
export async function listLeads(
  unit: UnitOfWork,
  ctx: WorkspaceContext,
  query: LeadListQuery,
  options: LeadListOptions,
): Promise<{ items: Lead[]; nextCursor: string | null }> {
  const db = dbOf(unit);
  const { dialect } = options;
  let after = query.cursor ? decodeCursor(query.cursor) : null;
  const segment = query.segment ? segmentFilter(dialect, query.segment) : null;
  const test = segment && 'test' in segment ? segment.test : null;
  const words = searchWords(query.q ?? '');
  const consent = query.consent;
  const consentPort = options.consent;
  const defaultAllowed = consent && consentPort ? consentPort.defaultAllowed(consent.purpose) : null;
  // An unknown purpose, or a search of only punctuation, matches nothing (rather than everything).
  if (consent && defaultAllowed === null) return { items: [], nextCursor: null };
  if (query.q?.trim() && words.length === 0) return { items: [], nextCursor: null };

  const page = async (from: Position | null, size: number, indexFirst = false, withSearch = true) =>
    db
      .selectFrom('leads')
      .selectAll()
      // Unary plus keeps SQLite off the workspace indexes, so the few matches' rowids drive the read.
      .where(sql<SqlBool>`${indexFirst ? sql`+workspace_id` : sql.ref('workspace_id')} = ${ctx.workspaceId}`)
      .$if(query.email !== undefined, (q) =>
        q.where('email', '=', (query.email as string).trim().toLowerCase()),
      )
      .$if(query.status !== undefined, (q) => q.where('status', '=', query.status as string))
      .$if(query.source !== undefined, (q) => q.where('source', '=', query.source as string))
      .$if(query.minScore !== undefined, (q) => q.where('score', '>=', query.minScore as number))
      .$if(query.maxScore !== undefined, (q) => q.where('score', '<=', query.maxScore as number))
      .$if(query.owner !== undefined, (q) =>
        q.where(sql<SqlBool>`${jsonText(dialect, 'attributes', 'owner')} = ${query.owner as string}`),
      )
      .$if(segment !== null && 'sql' in segment, (q) =>
        q.where((segment as { sql: RawBuilder<SqlBool> }).sql),
      )
      .$if(withSearch && words.length > 0, (q) => q.where(searchFilter(dialect, words)))
      .$if(consent !== undefined && consentPort !== undefined, (q) => {
        const { purpose, allowed } = consent as { purpose: string; allowed: boolean };
        const port = consentPort as ConsentFilterPort;
        // A purpose with no entry keeps its default: so "allowed" is "latest is a grant" where the
        // default is no, and "no withdrawal is latest" where the default is yes (and the reverse).
        const action = defaultAllowed ? 'withdraw' : 'grant';
        const subquery = port.latest(unit, ctx.workspaceId, purpose, action);
        return allowed === !defaultAllowed
          ? q.where('id', 'in', subquery as never)
          : q.where('id', 'not in', subquery as never);
      })
      .$if(from !== null, (q) =>
        q.where((eb) =>
          eb(
            eb.refTuple('created_at', 'id'),
            '<',
            eb.tuple((from as Position).createdAt, (from as Position).id),
          ),
        ),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(size)
      .execute();

  if (dialect === 'sqlite' && words.length > 0 && !test) {
    // Limit-first: the newest leads that pass the other filters, tested for the words here.
    const items: Lead[] = [];
    let from = after;
    for (let scanned = 0; scanned < WALK_BUDGET; scanned += WALK_BATCH) {
      const rows = await page(from, WALK_BATCH, false, false);
      for (const row of rows) {
        if (!matchesWords(row, words)) continue;
        if (items.length === query.limit) return { items, nextCursor: encodeCursor(items.at(-1) as Lead) };
        items.push(toLead(row));
      }
      if (rows.length < WALK_BATCH) return { items, nextCursor: null };
      const last = rows.at(-1);
      if (last) from = { createdAt: Number(last.created_at), id: last.id };
    }
  }
  const searchFirst = dialect === 'sqlite' && words.length > 0 && (await fewSearchMatches(unit, words));
  if (!test) {
    const rows = await page(after, query.limit + 1, searchFirst);
    const items = rows.slice(0, query.limit).map(toLead);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    };
  }
  // A computed segment: read batches in keyset order and keep the matches, up to a budget; a
  // short page with a cursor means "more may follow".
  const items: Lead[] = [];
  let scanned = 0;
  while (scanned < SCAN_BUDGET) {
    const rows = await page(after, 500, searchFirst);
    for (const row of rows) {
      const lead = toLead(row);
      after = { createdAt: lead.createdAt, id: lead.id };
      scanned += 1;
      if (!test(lead)) continue;
      if (items.length === query.limit) return { items, nextCursor: encodeCursor(items.at(-1) as Lead) };
      items.push(lead);
    }
    if (rows.length < 500) return { items, nextCursor: null };
  }
  return { items, nextCursor: after ? encodeCursor(after) : null };
}
