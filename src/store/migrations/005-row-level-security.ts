import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';

/** The tenant tables that existed when this migration was written (a later table brings its own policy). */
const TABLES = [
  'webhook_secrets',
  'events',
  'idempotency_keys',
  'jobs',
  'leads',
  'lead_history',
  'consent_records',
  'scoring_rules',
  'domain_events',
  'audit_heads',
  'audit_log',
  'chat_sessions',
  'playbooks',
  'lead_outcomes',
  'scoring_models',
  'lead_scores',
  'scoring_state',
  'council_decisions',
  'council_agents',
  'council_router_stats',
];

/**
 * Row-level security on one tenant table: a row is visible and writable only when its workspace
 * is in the transaction's data scope (see `postgres/scoped-driver.ts`). From migration 013 on, the
 * scope is the signed one (`leadloop_scope_workspaces()`, which a session cannot forge by setting
 * `app.workspace_id`); before it exists (this migration and 011 on a fresh database) the policy
 * reads the setting, and 013 rewrites those policies. FORCE makes the policy bind the table's
 * owner too; only superusers and BYPASSRLS roles escape it, and the application's role is neither.
 */
export async function enableTenantIsolation(db: Kysely<unknown>, table: string): Promise<void> {
  const t = sql.table(table);
  await sql`alter table ${t} enable row level security`.execute(db);
  await sql`alter table ${t} force row level security`.execute(db);
  const condition = sql.raw(await tenantScopeCondition(db));
  await sql`create policy tenant_isolation on ${t} using (${condition}) with check (${condition})`.execute(
    db,
  );
}

/**
 * Lets the queue's scheduler see `table`'s rows across workspaces (a table of due rows with no
 * personal data). Like `enableTenantIsolation`, it reads the signed scope once migration 013 exists.
 */
export async function enableSchedulerAccess(db: Kysely<unknown>, table: string): Promise<void> {
  const { rows } = await sql<{ schema: string; verified: boolean }>`
    select current_schema() as schema,
           to_regprocedure(quote_ident(current_schema()) || '.leadloop_scope_is_scheduler()') is not null as verified`.execute(
    db,
  );
  const row = rows[0];
  const condition = sql.raw(
    row?.verified
      ? `(select "${row.schema.replaceAll('"', '""')}".leadloop_scope_is_scheduler())`
      : `current_setting('app.scheduler', true) = 'on'`,
  );
  await sql`create policy scheduler on ${sql.table(table)} using (${condition}) with check (${condition})`.execute(
    db,
  );
}

/** The policy condition: the signed scope when migration 013 has run, else the setting. */
async function tenantScopeCondition(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ schema: string; verified: boolean }>`
    select current_schema() as schema,
           to_regprocedure(quote_ident(current_schema()) || '.leadloop_scope_workspaces()') is not null as verified`.execute(
    db,
  );
  const row = rows[0];
  if (row?.verified) return verifiedScopeCondition(row.schema, 'workspace_id');
  return `workspace_id = any (string_to_array(current_setting('app.workspace_id', true), ','))`;
}

/**
 * `column` is in the signed data scope. The function call sits in a scalar subquery so PostgreSQL
 * evaluates it once per statement (an InitPlan), not once per row.
 */
export function verifiedScopeCondition(schema: string, column: string): string {
  return `${column} = any ((select "${schema.replaceAll('"', '""')}".leadloop_scope_workspaces())::text[])`;
}

/**
 * PostgreSQL only (SQLite has no row-level security). The queue's scheduler may see every job
 * (ids only, no personal data) so it can claim and relay fairly across workspaces; it sees nothing
 * else.
 */
export function rowLevelSecurityMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      for (const table of TABLES) await enableTenantIsolation(db, table);
      await sql`create policy scheduler on jobs
        using (current_setting('app.scheduler', true) = 'on')
        with check (current_setting('app.scheduler', true) = 'on')`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      await sql`drop policy scheduler on jobs`.execute(db);
      for (const table of TABLES) {
        await sql`drop policy tenant_isolation on ${sql.table(table)}`.execute(db);
        await sql`alter table ${sql.table(table)} no force row level security`.execute(db);
        await sql`alter table ${sql.table(table)} disable row level security`.execute(db);
      }
    },
  };
}
