import { createHash } from 'node:crypto';
import { type Actor, type Clock, canonicalJson, type IdGenerator } from '../core/index.ts';
import {
  type AuditLogTable,
  dbOf,
  fromJson,
  prepared,
  preparedRows,
  type Store,
  toJson,
  type UnitOfWork,
} from '../store/index.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** What to record. `data` holds references and figures, never copies of personal data. */
export interface AuditRecord {
  actor: Actor;
  action: string;
  /** What was acted on: a lead id, a key id, a workspace id, ... */
  subject: string;
  /** Why, in words. */
  reason: string;
  data?: Record<string, unknown>;
}

export interface AuditEntry extends Required<AuditRecord> {
  id: string;
  workspaceId: string;
  seq: number;
  at: number;
  prevHash: string;
  hash: string;
}

export interface AuditProblem {
  workspaceId: string;
  seq: number;
  id: string | null;
  kind: 'edited' | 'deleted' | 'reordered' | 'truncated';
  message: string;
}

export interface AuditVerification {
  workspaces: number;
  entries: number;
  problems: AuditProblem[];
}

/**
 * The hash covers everything but the position: order is carried by `prevHash`, so a moved entry
 * still hashes correctly but breaks the link, which tells "reordered" apart from "edited".
 */
export function hashAuditEntry(entry: Omit<AuditEntry, 'hash' | 'seq'>): string {
  const canonical = canonicalJson({
    id: entry.id,
    workspaceId: entry.workspaceId,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    subject: entry.subject,
    reason: entry.reason,
    data: entry.data,
    prevHash: entry.prevHash,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export interface AuditLog {
  /** Appends inside the caller's transaction, so the record commits with the action it describes. */
  append(unit: UnitOfWork, workspaceId: string, record: AuditRecord): Promise<AuditEntry>;
  /** Appends several records in order, in one round of statements. */
  appendMany(unit: UnitOfWork, workspaceId: string, records: AuditRecord[]): Promise<AuditEntry[]>;
  list(
    workspaceId: string,
    options: { subject?: string; cursor?: number; limit?: number },
  ): Promise<{ items: AuditEntry[]; nextCursor: number | null }>;
  /** Re-walks every chain (or one workspace's) and names each broken entry. */
  verify(options?: { workspaceId?: string }): Promise<AuditVerification>;
}

// A type literal (not the interface itself), so it fits prepared rows' `Record<string, unknown>`.
type AuditRow = { [K in keyof AuditLogTable]: AuditLogTable[K] };

const AUDIT_COLUMNS = [
  'workspace_id',
  'seq',
  'id',
  'at',
  'actor_type',
  'actor_id',
  'action',
  'subject',
  'reason',
  'data',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof AuditRow)[];

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    seq: Number(row.seq),
    at: Number(row.at),
    actor: { type: row.actor_type as Actor['type'], id: row.actor_id },
    action: row.action,
    subject: row.subject,
    reason: row.reason,
    data: fromJson(row.data, {}),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function createAuditLog(options: { store: Store; clock: Clock; ids: IdGenerator }): AuditLog {
  const { store, clock, ids } = options;

  // Prepared once: every processed lead appends, so the head read, the insert and the head update
  // are built and compiled once per database handle rather than per call.
  const readHead = prepared<{ workspaceId: string }>()((db, v) =>
    db
      .selectFrom('audit_heads')
      .selectAll()
      .where('workspace_id', '=', v.workspaceId)
      .$if(store.dialect === 'postgres', (q) => q.forUpdate()),
  );
  const insertRows = preparedRows<AuditRow>(AUDIT_COLUMNS)((db, rows) =>
    db.insertInto('audit_log').values(rows),
  );
  const moveHead = prepared<{ workspaceId: string; seq: number; hash: string }>()((db, v) =>
    db.updateTable('audit_heads').set({ seq: v.seq, hash: v.hash }).where('workspace_id', '=', v.workspaceId),
  );

  async function appendMany(
    unit: UnitOfWork,
    workspaceId: string,
    records: AuditRecord[],
  ): Promise<AuditEntry[]> {
    const db = dbOf(unit);
    if (records.length === 0) return [];
    // The head row serialises appenders of one workspace (a row lock on PostgreSQL; SQLite
    // transactions are already serial), so two writers can never chain onto the same entry.
    let [head] = (await readHead.execute(db, { workspaceId })).rows;
    if (!head) {
      await db
        .insertInto('audit_heads')
        .values({ workspace_id: workspaceId, seq: 0, hash: GENESIS_HASH })
        .onConflict((oc) => oc.column('workspace_id').doNothing())
        .execute();
      [head] = (await readHead.execute(db, { workspaceId })).rows;
      if (!head) throw new Error(`audit head of ${workspaceId} could not be created`);
    }
    const entries: AuditEntry[] = [];
    let prevHash = head.hash;
    let seq = Number(head.seq);
    for (const record of records) {
      const base = {
        id: ids.next('aud'),
        workspaceId,
        at: clock.now(),
        actor: record.actor,
        action: record.action,
        subject: record.subject,
        reason: record.reason,
        data: record.data ?? {},
        prevHash,
      };
      seq += 1;
      const entry: AuditEntry = { ...base, seq, hash: hashAuditEntry(base) };
      entries.push(entry);
      prevHash = entry.hash;
    }
    await insertRows.execute(
      db,
      entries.map((entry) => ({
        workspace_id: workspaceId,
        seq: entry.seq,
        id: entry.id,
        at: entry.at,
        actor_type: entry.actor.type,
        actor_id: entry.actor.id,
        action: entry.action,
        subject: entry.subject,
        reason: entry.reason,
        data: toJson(entry.data),
        prev_hash: entry.prevHash,
        hash: entry.hash,
      })),
    );
    await moveHead.execute(db, { workspaceId, seq, hash: prevHash });
    return entries;
  }

  return {
    async append(unit, workspaceId, record) {
      const [entry] = await appendMany(unit, workspaceId, [record]);
      return entry as AuditEntry;
    },

    appendMany,

    async list(workspaceId, { subject, cursor, limit = 50 }) {
      const rows = await store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .$if(subject !== undefined, (q) => q.where('subject', '=', subject as string))
        .$if(cursor !== undefined, (q) => q.where('seq', '<', cursor as number))
        .orderBy('seq', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map(toEntry);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? last.seq : null };
    },

    async verify({ workspaceId } = {}) {
      const heads = await store.db
        .selectFrom('audit_heads')
        .selectAll()
        .$if(workspaceId !== undefined, (q) => q.where('workspace_id', '=', workspaceId as string))
        .execute();
      const problems: AuditProblem[] = [];
      let entries = 0;
      for (const head of heads) {
        const rows = (
          await store.db
            .selectFrom('audit_log')
            .selectAll()
            .where('workspace_id', '=', head.workspace_id)
            .orderBy('seq')
            .execute()
        ).map(toEntry);
        entries += rows.length;
        problems.push(...verifyChain(head.workspace_id, rows, { seq: Number(head.seq), hash: head.hash }));
      }
      return { workspaces: heads.length, entries, problems };
    },
  };
}

/** Checks one workspace's entries (in stored order) against each other and the head. */
export function verifyChain(
  workspaceId: string,
  rows: AuditEntry[],
  head: { seq: number; hash: string },
): AuditProblem[] {
  const problems: AuditProblem[] = [];
  const byHash = new Map(rows.map((r) => [r.hash, r]));
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const row of rows) {
    const selfConsistent = hashAuditEntry(row) === row.hash;
    if (!selfConsistent) {
      problems.push({
        workspaceId,
        seq: row.seq,
        id: row.id,
        kind: 'edited',
        message: `entry ${row.seq} (${row.id}) was edited: its content no longer matches its hash`,
      });
    } else if (row.prevHash !== prevHash) {
      const linked = byHash.get(row.prevHash);
      if (linked) {
        problems.push({
          workspaceId,
          seq: row.seq,
          id: row.id,
          kind: 'reordered',
          message: `entry ${row.seq} (${row.id}) is out of order: it follows entry ${linked.seq} (${linked.id}) in the chain`,
        });
      } else if (row.seq > expectedSeq) {
        problems.push({
          workspaceId,
          seq: expectedSeq,
          id: null,
          kind: 'deleted',
          message: `entries ${expectedSeq}..${row.seq - 1} before ${row.id} were deleted`,
        });
      } else {
        problems.push({
          workspaceId,
          seq: row.seq,
          id: row.id,
          kind: 'deleted',
          message: `the entry before ${row.seq} (${row.id}) was deleted or replaced`,
        });
      }
    } else if (row.seq !== expectedSeq) {
      problems.push({
        workspaceId,
        seq: row.seq,
        id: row.id,
        kind: 'reordered',
        message: `entry ${row.id} carries position ${row.seq} but sits at position ${expectedSeq}`,
      });
    }
    prevHash = row.hash;
    expectedSeq = row.seq + 1;
  }
  if (head.hash !== prevHash || head.seq !== expectedSeq - 1) {
    const last = rows.at(-1);
    problems.push({
      workspaceId,
      seq: last ? last.seq + 1 : 1,
      id: null,
      kind: 'truncated',
      message: `the chain ends at entry ${last?.seq ?? 0} but ${head.seq} entries were written: the newest were deleted`,
    });
  }
  return problems;
}
