import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { quotedSchema } from './organisation-scope-check.ts';

/**
 * PostgreSQL only. Row-level security on the two directory tables a tenant could rewrite:
 * `workspaces` and `organisations`. They stay readable (a credential or URL is routed to its
 * workspace before any scope exists, and an organisation key lists its workspaces), but a write
 * needs the signed data scope (migration 013): a workspace row is created or changed only when it
 * is in the scope, and an organisation is created only in a signed scope (the workspace being
 * created with it). The application's role has no DELETE on either and no UPDATE on organisations
 * (`app-role-grants.ts`). FORCE binds the owner too.
 */
export function directoryRowSecurityMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      const quoted = await quotedSchema(db);
      const scope = sql.raw(`(select ${quoted}.leadloop_scope_workspaces())::text[]`);
      for (const table of ['workspaces', 'organisations']) {
        const t = sql.table(table);
        await sql`alter table ${t} enable row level security`.execute(db);
        await sql`alter table ${t} force row level security`.execute(db);
        await sql`create policy directory_read on ${t} for select using (true)`.execute(db);
      }
      await sql`create policy scoped_insert on workspaces for insert with check (id = any (${scope}))`.execute(
        db,
      );
      await sql`create policy scoped_update on workspaces for update
        using (id = any (${scope})) with check (id = any (${scope}))`.execute(db);
      await sql`create policy scoped_insert on organisations for insert
        with check (cardinality(${scope}) > 0)`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      await sql`drop policy scoped_insert on organisations`.execute(db);
      await sql`drop policy scoped_update on workspaces`.execute(db);
      await sql`drop policy scoped_insert on workspaces`.execute(db);
      for (const table of ['workspaces', 'organisations']) {
        await sql`drop policy directory_read on ${sql.table(table)}`.execute(db);
        await sql`alter table ${sql.table(table)} no force row level security`.execute(db);
        await sql`alter table ${sql.table(table)} disable row level security`.execute(db);
      }
    },
  };
}
