import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { addColumn } from './kit.ts';

/**
 * Audit entries and heads gain a MAC (HMAC-SHA256 with a key derived from the master key, which
 * never enters the database), so a writer with only database access cannot append, recompute or
 * move a head without it showing.
 *
 * On PostgreSQL, appends go through two SECURITY DEFINER functions, and `leadloop migrate`
 * revokes INSERT, UPDATE, DELETE and TRUNCATE on both audit tables from the application's role:
 * - `audit_lock_head(ws)` locks (creating when missing) and returns the head; the caller needs no
 *   UPDATE privilege for the row lock that serialises appenders of one workspace;
 * - `audit_append(ws, entries, head_mac)` inserts entries only if they continue the chain from the
 *   head (positions and previous hashes), then moves the head. It cannot check hashes (canonical
 *   JSON lives in Node), which is what the MACs and signed checkpoints are for.
 * Both only act on a workspace in the transaction's data scope. `search_path` is pinned empty and
 * every name is schema-qualified, as PostgreSQL's "Writing SECURITY DEFINER Functions Safely" asks.
 */
export function auditAppendMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await addColumn(db, 'audit_log', 'mac', 'text');
      await addColumn(db, 'audit_heads', 'mac', 'text');
      if (dialect !== 'postgres') return;
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const schema = rows[0]?.schema as string;
      await createAuditAppendFunctions(
        db,
        schema,
        `p_workspace = any (string_to_array(current_setting('app.workspace_id', true), ','))`,
      );
      for (const fn of ['audit_lock_head(text)', 'audit_append(text, jsonb, text)'])
        await sql`revoke execute on function ${sql.raw(`"${schema.replaceAll('"', '""')}".${fn}`)} from public`.execute(
          db,
        );
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        await sql`drop function if exists audit_append(text, jsonb, text)`.execute(db);
        await sql`drop function if exists audit_lock_head(text)`.execute(db);
      }
      await db.schema.alterTable('audit_heads').dropColumn('mac').execute();
      await db.schema.alterTable('audit_log').dropColumn('mac').execute();
    },
  };
}

/**
 * Creates (or replaces) the two append functions; `scopeCheck` is the SQL condition that
 * `p_workspace` is in the transaction's data scope (migration 013 replaces the settable setting
 * with the signed scope).
 */
export async function createAuditAppendFunctions(db: Kysely<unknown>, schema: string, scopeCheck: string) {
  const s = (name: string) => sql.table(`${schema}.${name}`);
  const inScope = sql.raw(scopeCheck);
  await sql`create or replace function ${s('audit_lock_head')}(p_workspace text)
    returns table (seq bigint, hash text)
    language plpgsql security definer set search_path = '' as $fn$
    begin
      if not (${inScope}) then
        raise exception 'workspace % is not in this transaction''s data scope', p_workspace
          using errcode = '42501';
      end if;
      insert into ${s('audit_heads')} (workspace_id, seq, hash)
        values (p_workspace, 0, repeat('0', 64)) on conflict (workspace_id) do nothing;
      return query select h.seq, h.hash from ${s('audit_heads')} h
        where h.workspace_id = p_workspace for update;
    end $fn$`.execute(db);
  await sql`create or replace function ${s('audit_append')}(p_workspace text, p_entries jsonb, p_head_mac text)
    returns void
    language plpgsql security definer set search_path = '' as $fn$
    declare
      head_seq bigint;
      head_hash text;
      e jsonb;
    begin
      ${lockedHeadOrRaise(schema, inScope)}
      for e in select value from jsonb_array_elements(p_entries) loop
        if (e->>'seq')::bigint <> head_seq + 1 or e->>'prev_hash' <> head_hash then
          raise exception 'audit entry % does not continue the chain of %', e->>'id', p_workspace
            using errcode = '55000';
        end if;
        insert into ${s('audit_log')}
          (workspace_id, seq, id, at, actor_type, actor_id, action, subject, reason, data, prev_hash, hash, mac)
          values (p_workspace, (e->>'seq')::bigint, e->>'id', (e->>'at')::bigint, e->>'actor_type',
                  e->>'actor_id', e->>'action', e->>'subject', e->>'reason', e->>'data',
                  e->>'prev_hash', e->>'hash', e->>'mac');
        head_seq := head_seq + 1;
        head_hash := e->>'hash';
      end loop;
      update ${s('audit_heads')} set seq = head_seq, hash = head_hash, mac = p_head_mac
        where workspace_id = p_workspace;
    end $fn$`.execute(db);
}

/**
 * The start of `audit_append`'s body: refuses a workspace outside the transaction's data scope,
 * then reads the head it must continue (locked by `audit_lock_head`) into `head_seq` and
 * `head_hash`.
 */
export function lockedHeadOrRaise(schema: string, inScope: ReturnType<typeof sql.raw>) {
  return sql`if not (${inScope}) then
        raise exception 'workspace % is not in this transaction''s data scope', p_workspace
          using errcode = '42501';
      end if;
      select h.seq, h.hash into head_seq, head_hash from ${sql.table(`${schema}.audit_heads`)} h
        where h.workspace_id = p_workspace for update;
      if not found then
        raise exception 'audit head of % is missing; lock it first', p_workspace using errcode = '55000';
      end if;`;
}
