import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { createAuditAppendFunctions, lockedHeadOrRaise } from './010-audit-append.ts';

/**
 * PostgreSQL only. `audit_append` checks and inserts a batch of entries in one statement each
 * instead of one INSERT per entry in a PL/pgSQL loop: a pipeline set of a few hundred entries ran
 * a few hundred statements, each with its own executor start and its own reads of the entry's
 * JSON fields (and, where the function's owner is not a superuser, its own evaluation of the audit
 * log's row-level-security policy with the signed-scope check). The contract is
 * unchanged: the entries must continue the chain from the locked head (positions and previous
 * hashes, checked in order), or nothing is inserted and the call fails with 55000.
 */
export function auditAppendSetMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      const schema = await currentSchema(db);
      const s = (name: string) => sql.table(`${schema}.${name}`);
      await sql`create or replace function ${s('audit_append')}(p_workspace text, p_entries jsonb, p_head_mac text)
    returns void
    language plpgsql security definer set search_path = '' as $fn$
    declare
      head_seq bigint;
      head_hash text;
      broken text;
      appended bigint;
    begin
      ${lockedHeadOrRaise(schema, sql.raw(definerCheck(schema)))}
      -- The first entry that does not follow its predecessor (the head, for the first).
      select e.id into broken from (
        select x.id, x.seq, x.prev_hash, x.n, lag(x.hash) over (order by x.n) as before
          from rows from (jsonb_to_recordset(p_entries) as (id text, seq bigint, prev_hash text, hash text))
               with ordinality as x(id, seq, prev_hash, hash, n)
      ) e
      where e.seq is distinct from head_seq + e.n or e.prev_hash is distinct from coalesce(e.before, head_hash)
      order by e.n limit 1;
      if found then
        raise exception 'audit entry % does not continue the chain of %', broken, p_workspace
          using errcode = '55000';
      end if;
      insert into ${s('audit_log')}
        (workspace_id, seq, id, at, actor_type, actor_id, action, subject, reason, data, prev_hash, hash, mac)
        select p_workspace, x.seq, x.id, x.at, x.actor_type, x.actor_id, x.action, x.subject, x.reason,
               x.data, x.prev_hash, x.hash, x.mac
          from rows from (jsonb_to_recordset(p_entries) as (seq bigint, id text, at bigint, actor_type text,
               actor_id text, action text, subject text, reason text, data text, prev_hash text, hash text,
               mac text)) with ordinality as x(seq, id, at, actor_type, actor_id, action, subject, reason,
               data, prev_hash, hash, mac, n)
          order by x.n;
      get diagnostics appended = row_count;
      if appended > 0 then
        update ${s('audit_heads')} set seq = head_seq + appended, hash = p_entries->(appended - 1)::int->>'hash',
               mac = p_head_mac
          where workspace_id = p_workspace;
      else
        update ${s('audit_heads')} set mac = p_head_mac where workspace_id = p_workspace;
      end if;
    end $fn$`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      const schema = await currentSchema(db);
      // Back to migration 013's functions (the loop), with the same signed-scope check.
      await createAuditAppendFunctions(db, schema, definerCheck(schema));
    },
  };
}

async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema as string;
}

/** Migration 013's check that `p_workspace` is in the transaction's verified data scope. */
function definerCheck(schema: string): string {
  return `p_workspace = any ("${schema.replaceAll('"', '""')}".leadloop_scope_workspaces())`;
}
