import { sql } from 'kysely';
import type { Actor, Clock, IdGenerator } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import {
  type Db,
  dbOf,
  prepared,
  preparedRows,
  type Store,
  takeEventTurn,
  toJson,
  type UnitOfWork,
  workspaceRows,
} from '../store/index.ts';
import {
  type AuditEntry,
  type AuditProblem,
  type AuditRecord,
  type AuditRow,
  type AuditVerification,
  GENESIS_HASH,
  hashAuditEntry,
  toEntry,
  verifyChain,
} from './audit-chain.ts';
import { type AuditKeys, macVerifies } from './audit-keys.ts';
import { type AuditCheckpoint, signCheckpoint, verifyAuditTrail } from './audit-verify.ts';

export interface AuditLog {
  /** Appends inside the caller's transaction, so the record commits with the action it describes. */
  append(unit: UnitOfWork, workspaceId: string, record: AuditRecord): Promise<AuditEntry>;
  /** Appends several records in order, in one round of statements. */
  appendMany(unit: UnitOfWork, workspaceId: string, records: AuditRecord[]): Promise<AuditEntry[]>;
  list(
    workspaceId: string,
    options: { subject?: string; cursor?: number; limit?: number },
  ): Promise<{ items: AuditEntry[]; nextCursor: number | null }>;
  /**
   * Re-walks every chain (or one workspace's) and names each broken entry. Workspaces come from
   * the directory, the heads and the log itself, so a deleted head or a deleted chain shows; with
   * a checkpoint, a truncation or rewrite since it shows too.
   */
  verify(options?: { workspaceId?: string; checkpoint?: AuditCheckpoint }): Promise<AuditVerification>;
  /** A signed checkpoint of every visible chain head, to be kept away from the database. */
  checkpoint(): Promise<AuditCheckpoint>;
  /**
   * Seals a chain written before entries carried MACs (migration 010): verifies its hash chain and
   * every MAC it has, and only then adds MACs to the entries without one and records the reseal
   * in the chain itself (`audit.resealed`, up to which entry). Refuses, changing nothing, when the
   * chain does not verify. Needs the workspace in the data scope.
   */
  reseal(workspaceId: string, actor: Actor): Promise<AuditReseal>;
}

/** What a reseal did: entries sealed (up to `upTo`), or the problems that stopped it. */
type AuditReseal =
  | { ok: true; workspaceId: string; sealed: number; upTo: number; entry: AuditEntry | null }
  | { ok: false; workspaceId: string; problems: AuditProblem[] };

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
  'mac',
] as const satisfies readonly (keyof AuditRow)[];

export interface AuditLogOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  /** MAC keys (from the master key); without them entries carry no MAC and verify skips that check. */
  keys?: AuditKeys | undefined;
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { store, clock, ids, keys } = options;
  const postgres = store.dialect === 'postgres';

  // Prepared once: every processed lead appends, so the head read, the insert and the head update
  // are built and compiled once per database handle rather than per call.
  const readHead = prepared<{ workspaceId: string }>()((db, v) =>
    db.selectFrom('audit_heads').selectAll().where('workspace_id', '=', v.workspaceId),
  );
  const insertRows = preparedRows<AuditRow>(AUDIT_COLUMNS)((db, rows) =>
    db.insertInto('audit_log').values(rows),
  );
  const moveHead = prepared<{ workspaceId: string; seq: number; hash: string; mac: string | null }>()(
    (db, v) =>
      db
        .updateTable('audit_heads')
        .set({ seq: v.seq, hash: v.hash, mac: v.mac })
        .where('workspace_id', '=', v.workspaceId),
  );

  /** The head, locked for this transaction. PostgreSQL: through the definer function (no UPDATE grant needed). */
  async function lockHead(db: Db, workspaceId: string): Promise<{ seq: number; hash: string }> {
    if (postgres) {
      // The workspace's write order: the event turn first, then the head (store/event-turn.ts).
      await takeEventTurn(db, workspaceId);
      const { rows } = await sql<{ seq: string; hash: string }>`
        select seq, hash from audit_lock_head(${workspaceId})`.execute(db);
      const row = rows[0];
      if (!row)
        throw new LeadloopError('internal', `audit head of ${workspaceId} could not be locked`, {
          retryable: true,
        });
      return { seq: Number(row.seq), hash: row.hash };
    }
    let [head] = (await readHead.execute(db, { workspaceId })).rows;
    if (!head) {
      await db
        .insertInto('audit_heads')
        .values({ workspace_id: workspaceId, seq: 0, hash: GENESIS_HASH, mac: null })
        .onConflict((oc) => oc.column('workspace_id').doNothing())
        .execute();
      [head] = (await readHead.execute(db, { workspaceId })).rows;
      if (!head)
        throw new LeadloopError('internal', `audit head of ${workspaceId} could not be created`, {
          retryable: true,
        });
    }
    return { seq: Number(head.seq), hash: head.hash };
  }

  async function appendMany(
    unit: UnitOfWork,
    workspaceId: string,
    records: AuditRecord[],
  ): Promise<AuditEntry[]> {
    const db = dbOf(unit);
    if (records.length === 0) return [];
    // The head row serialises appenders of one workspace (a row lock on PostgreSQL; SQLite
    // transactions are already serial), so two writers can never chain onto the same entry.
    const head = await lockHead(db, workspaceId);
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
    const rows = entries.map((entry) => ({
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
      mac: keys ? keys.entryMac(workspaceId, entry.seq, entry.hash) : null,
    }));
    const headMac = keys ? keys.headMac(workspaceId, seq, prevHash) : null;
    if (postgres) {
      // The only path the application's role has into the audit tables (see migration 010).
      await sql`select audit_append(${workspaceId}, ${JSON.stringify(rows)}::jsonb, ${headMac})`.execute(db);
    } else {
      await insertRows.execute(db, rows);
      await moveHead.execute(db, { workspaceId, seq, hash: prevHash, mac: headMac });
    }
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

    async reseal(workspaceId, actor) {
      if (!keys) throw new LeadloopError('unavailable', 'resealing needs the audit key (the master key)');
      return store.transaction(async (trx) => {
        const head = await lockHead(trx, workspaceId);
        const rows = await workspaceRows(trx, 'audit_log', workspaceId, {}, ['seq']);
        const problems = verifyChain(workspaceId, rows.map(toEntry), head);
        for (const row of rows)
          if (
            row.mac !== null &&
            !macVerifies(keys, row.mac, (k) => k.entryMac(workspaceId, Number(row.seq), row.hash))
          )
            problems.push({
              workspaceId,
              seq: Number(row.seq),
              id: row.id,
              kind: 'forged',
              message: `entry ${row.seq} (${row.id}) carries a MAC that does not verify`,
            });
        if (problems.length > 0) return { ok: false as const, workspaceId, problems };
        const unsealed = rows.filter((r) => r.mac === null);
        if (unsealed.length === 0) return { ok: true as const, workspaceId, sealed: 0, upTo: 0, entry: null };
        const macs = unsealed.map((r) => ({
          seq: Number(r.seq),
          mac: keys.entryMac(workspaceId, Number(r.seq), r.hash),
        }));
        if (postgres) {
          await sql`select audit_reseal(${workspaceId}, ${JSON.stringify(macs)}::jsonb)`.execute(trx);
        } else {
          for (const { seq, mac } of macs)
            await trx
              .updateTable('audit_log')
              .set({ mac })
              .where('workspace_id', '=', workspaceId)
              .where('seq', '=', seq)
              .where('mac', 'is', null)
              .execute();
        }
        const upTo = Math.max(...macs.map((m) => m.seq));
        const [entry] = await appendMany(trx, workspaceId, [
          {
            actor,
            action: 'audit.resealed',
            subject: workspaceId,
            reason: `${macs.length} entries written before MACs existed were sealed after their hash chain verified; they are authenticated from now on, not from when they were written`,
            data: { sealed: macs.length, upTo },
          },
        ]);
        return { ok: true as const, workspaceId, sealed: macs.length, upTo, entry: entry ?? null };
      });
    },

    // One snapshot for every read: heads and entries read at different moments while appends go
    // on would report a chain as truncated or longer than its head (PostgreSQL reads committed
    // data per statement; a SQLite read transaction is a snapshot already).
    verify: ({ workspaceId, checkpoint } = {}) =>
      (postgres
        ? store.db.transaction().setIsolationLevel('repeatable read')
        : store.db.transaction()
      ).execute((trx) => verifyAuditTrail({ db: trx, keys, workspaceId, checkpoint })),

    async checkpoint() {
      const heads = await store.db
        .selectFrom('audit_heads')
        .select(['workspace_id', 'seq', 'hash'])
        .orderBy('workspace_id')
        .execute();
      return signCheckpoint(
        keys,
        clock.now(),
        heads.map((h) => ({ workspaceId: h.workspace_id, seq: Number(h.seq), hash: h.hash })),
      );
    },
  };
}
