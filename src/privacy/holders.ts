import { type RawBuilder, sql } from 'kysely';
import type { WorkspaceContext } from '../core/index.ts';
import { unreachable } from '../core/index.ts';
import type { Db } from '../store/index.ts';

/** Everything known about one person in one workspace, resolved before export or erasure. */
export interface SubjectScope {
  db: Db;
  ctx: WorkspaceContext;
  /** Every lead with the person's normalised email or phone (merged submissions share the lead). */
  leadIds: readonly string[];
  /** Every accepted event of those leads, and unprocessed events carrying the same email or phone. */
  eventIds: readonly string[];
  emails: readonly string[];
  phones: readonly string[];
}

/**
 * One place that holds personal data. Capabilities register their own (workflows' runs, console
 * notes, the optimiser) instead of privacy knowing their tables; the completeness check fails when
 * a table of the schema is neither covered by a holder nor declared free of personal data.
 */
export interface PersonalDataHolder {
  name: string;
  /** The tables this holder exports and erases. */
  tables: readonly string[];
  /** What erasure does here, for the docs and the request log: delete, anonymise, keep (with basis). */
  action: 'delete' | 'anonymise' | 'keep_references';
  export(scope: SubjectScope): Promise<Record<string, unknown>[]>;
  /** Removes or anonymises the subject's rows; idempotent (a second run finds nothing). Returns rows touched. */
  erase(scope: SubjectScope): Promise<number>;
}

export interface HolderRegistry {
  register(holder: PersonalDataHolder): void;
  /** Tables that hold no personal data at all (configuration, aggregates, peppered hashes), with why. */
  declareClean(table: string, why: string): void;
  holders(): readonly PersonalDataHolder[];
  /** Tables of `schemaTables` neither covered nor declared clean: a forgotten table. */
  uncovered(schemaTables: readonly string[]): string[];
  /** The manifest: each table, who covers it and how. */
  manifest(): { table: string; holder: string; action: string }[];
}

export function createHolderRegistry(): HolderRegistry {
  const holders: PersonalDataHolder[] = [];
  const clean = new Map<string, string>();
  return {
    register(holder) {
      if (holders.some((h) => h.name === holder.name)) unreachable(`holder ${holder.name} registered twice`);
      holders.push(holder);
    },
    declareClean(table, why) {
      clean.set(table, why);
    },
    holders: () => holders,
    uncovered(schemaTables) {
      const covered = new Set([...clean.keys(), ...holders.flatMap((h) => h.tables)]);
      return schemaTables.filter((t) => !covered.has(t));
    },
    manifest() {
      return [
        ...holders.flatMap((h) => h.tables.map((table) => ({ table, holder: h.name, action: h.action }))),
        ...[...clean].map(([table, why]) => ({ table, holder: 'none', action: `no personal data: ${why}` })),
      ].sort((a, b) => a.table.localeCompare(b.table));
    },
  };
}

type Match = 'lead' | 'event';

/**
 * A holder for a table whose rows name the lead (or the event) in one column: export selects
 * them, erasure deletes them. Most holders are this; the rest write their own.
 */
export function columnHolder(options: {
  name: string;
  table: string;
  column: string;
  match: Match;
  /** Also rows whose `alsoColumn` names one of the subject's events (chat sessions by event id). */
  alsoEventColumn?: string;
}): PersonalDataHolder {
  const { table, column, match, alsoEventColumn } = options;
  // One statement per column: an OR across two indexed columns would scan the workspace's rows.
  const conditions = (scope: SubjectScope) => {
    const ids = match === 'lead' ? scope.leadIds : scope.eventIds;
    const out = [];
    if (ids.length > 0)
      out.push(
        sql`workspace_id = ${scope.ctx.workspaceId} and ${sql.ref(column)} in (${sql.join(ids.map((id) => sql`${id}`))})`,
      );
    if (alsoEventColumn && scope.eventIds.length > 0)
      out.push(
        sql`workspace_id = ${scope.ctx.workspaceId} and ${sql.ref(alsoEventColumn)} in (${sql.join(scope.eventIds.map((id) => sql`${id}`))})`,
      );
    return out;
  };
  // A row that names both the lead and one of its events matches both statements: export it once.
  return deletingHolder(options.name, table, conditions, true);
}

/**
 * A holder for a table whose rows mention the subject's ids inside a text column (job payloads,
 * stored idempotent answers): rows whose `column` contains any of the ids are exported and deleted.
 */
export function mentionHolder(options: {
  name: string;
  table: string;
  column: string;
  ids: (scope: SubjectScope) => readonly string[];
  /** When the column holds exactly a known rendering of one id (a stored answer), match it with `in`: no scan per id. */
  exact?: (id: string) => string;
}): PersonalDataHolder {
  const { table, column, exact } = options;
  // LIKE alternatives become one expression each: keep the OR chain well under SQLite's depth limit.
  const CHUNK = 200;
  const conditions = (scope: SubjectScope) => {
    const ids = options.ids(scope);
    const out = [];
    for (let i = 0; i < ids.length; i += exact ? 5_000 : CHUNK) {
      const part = ids.slice(i, i + (exact ? 5_000 : CHUNK));
      out.push(
        exact
          ? sql`workspace_id = ${scope.ctx.workspaceId} and ${sql.ref(column)} in (${sql.join(part.map((id) => sql`${exact(id)}`))})`
          : sql`workspace_id = ${scope.ctx.workspaceId} and (${sql.join(
              part.map((id) => sql`${sql.ref(column)} like ${`%${id}%`}`),
              sql` or `,
            )})`,
      );
    }
    return out;
  };
  return deletingHolder(options.name, table, conditions, false);
}

/**
 * A holder of `table` whose subject's rows are those meeting any of `conditions` (one statement
 * each): export selects them (each once when `distinct`: a row may meet several), erasure deletes them.
 */
function deletingHolder(
  name: string,
  table: string,
  conditions: (scope: SubjectScope) => RawBuilder<unknown>[],
  distinct: boolean,
): PersonalDataHolder {
  return {
    name,
    tables: [table],
    action: 'delete',
    async export(scope) {
      const rows = new Map<string, Record<string, unknown>>();
      const all: Record<string, unknown>[] = [];
      for (const condition of conditions(scope)) {
        const result = await sql<
          Record<string, unknown>
        >`select * from ${sql.table(table)} where ${condition}`.execute(scope.db);
        if (!distinct) all.push(...result.rows);
        else
          for (const row of result.rows)
            rows.set(
              JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)),
              row,
            );
      }
      return distinct ? [...rows.values()] : all;
    },
    async erase(scope) {
      let removed = 0;
      for (const condition of conditions(scope)) {
        const result = await sql`delete from ${sql.table(table)} where ${condition}`.execute(scope.db);
        removed += Number(result.numAffectedRows ?? 0);
      }
      return removed;
    },
  };
}
