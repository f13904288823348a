import type { Insertable } from 'kysely';
import type { Clock, DomainEvent, DomainEventType, IdGenerator } from '../core/index.ts';
import type { DomainEventsTable, Store, UnitOfWork } from '../store/index.ts';
import { dbOf, fromJson, preparedRows, takeEventTurn, toJson } from '../store/index.ts';

export interface NewDomainEvent {
  type: DomainEventType;
  subject: string;
  data: Record<string, unknown>;
}

export interface DomainEventLog {
  /** Records events inside the caller's transaction (they exist only if the change committed). */
  append(unit: UnitOfWork, workspaceId: string, events: NewDomainEvent[]): Promise<void>;
  /**
   * Takes now, in the caller's transaction, the workspace's append turn that `append` would take
   * (PostgreSQL; held until commit, a no-op on SQLite). A writer that will append after other
   * writes takes it first, so two such transactions of one workspace run one after the other
   * instead of each holding rows the other needs (a deadlock) or deduplicating against rows the
   * other has not committed.
   */
  takeTurn(unit: UnitOfWork, workspaceId: string): Promise<void>;
  /** Events of one workspace after `afterSeq`, oldest first. */
  readSince(workspaceId: string, afterSeq: number, limit?: number): Promise<DomainEvent[]>;
  /** The newest position of a workspace's stream (0 when empty). */
  latestSeq(workspaceId: string): Promise<number>;
  /** Tells in-process listeners that a workspace has new events (call after commit). */
  notify(workspaceId: string): void;
  /** Returns an unsubscribe function. */
  subscribe(workspaceId: string, listener: () => void): () => void;
}

export function createDomainEventLog(options: {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
}): DomainEventLog {
  const { store, clock, ids } = options;
  const listeners = new Map<string, Set<() => void>>();
  // Every processed lead appends: prepared once (store/prepared.ts).
  const insertRows = preparedRows<Omit<Insertable<DomainEventsTable>, 'seq'>>([
    'id',
    'workspace_id',
    'type',
    'subject',
    'data',
    'created_at',
  ])((db, rows) => db.insertInto('domain_events').values(rows));
  // A reader moves its cursor to the last position it saw, so positions must become visible in
  // order. PostgreSQL hands out sequence values at insert, not at commit: a transaction that took
  // position 10 and committed after another's 11 would be skipped for good. Writers of a
  // workspace's events therefore take positions one transaction at a time (released at commit;
  // taking it again in the same transaction is free). SQLite has one writer at a time anyway.
  async function takeTurn(unit: UnitOfWork, workspaceId: string): Promise<void> {
    if (store.dialect === 'postgres') await takeEventTurn(dbOf(unit), workspaceId);
  }
  return {
    takeTurn,
    async append(unit, workspaceId, events) {
      if (events.length === 0) return;
      const db = dbOf(unit);
      await takeTurn(db, workspaceId);
      const at = clock.now();
      await insertRows.execute(
        db,
        events.map((e) => ({
          id: ids.next('dev'),
          workspace_id: workspaceId,
          type: e.type,
          subject: e.subject,
          data: toJson(e.data),
          created_at: at,
        })),
      );
    },
    async readSince(workspaceId, afterSeq, limit = 100) {
      const rows = await store.db
        .selectFrom('domain_events')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        seq: Number(r.seq),
        workspaceId: r.workspace_id,
        type: r.type as DomainEventType,
        subject: r.subject,
        data: fromJson(r.data, {}),
        at: Number(r.created_at),
      }));
    },
    async latestSeq(workspaceId) {
      const row = await store.db
        .selectFrom('domain_events')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst();
      return Number(row?.seq ?? 0);
    },
    notify(workspaceId) {
      for (const listener of listeners.get(workspaceId) ?? []) listener();
    },
    subscribe(workspaceId, listener) {
      let set = listeners.get(workspaceId);
      if (!set) {
        set = new Set();
        listeners.set(workspaceId, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(workspaceId);
      };
    },
  };
}
