import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { secureConsoleAccounts } from './016-console-account-security.ts';
import { tableExists } from './kit.ts';
import { createOrganisationScopeCheck, quotedSchema } from './organisation-scope-check.ts';

/**
 * PostgreSQL only. The directory (`workspaces`, `organisations`) stops being readable by anyone
 * holding the application role's credentials: a workspace row is visible only in its own signed
 * data scope (an organisation's scope shows all of its workspaces), an organisation only through
 * a workspace in the scope. The process reads across the directory (routing a URL's workspace id
 * or a credential before any scope exists, listing an organisation's workspaces, the CLI's
 * enumerations) in the scheduler's signed scope, which a session without the master key cannot
 * make either (`readingDirectory` in core).
 *
 * FORCE is dropped on the two tables: the definer functions run as the owner and must see the
 * whole directory to check that an organisation lies wholly in the scope (organisation keys and
 * roles); the application's role owns nothing, so the policies bind it. Policies that the role
 * evaluates itself and that need that check (an organisation role's membership, migration 016)
 * call the definer function of `organisation-scope-check.ts` instead of reading the directory.
 */
export function directoryReadScopeMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      const quoted = await quotedSchema(db);
      const scope = sql.raw(`(select ${quoted}.leadloop_scope_workspaces())::text[]`);
      const scheduler = sql.raw(`(select ${quoted}.leadloop_scope_is_scheduler())`);
      await createOrganisationScopeCheck(db);
      for (const table of ['workspaces', 'organisations']) {
        await sql`drop policy directory_read on ${sql.table(table)}`.execute(db);
        await sql`alter table ${sql.table(table)} no force row level security`.execute(db);
      }
      await sql`create policy scoped_read on workspaces for select
        using (id = any (${scope}) or ${scheduler})`.execute(db);
      await sql`create policy scoped_read on organisations for select
        using (${scheduler} or id in (select w.organisation_id from ${sql.raw(quoted)}.workspaces w
                                       where w.id = any (${scope})))`.execute(db);
      if (await tableExists(db, 'users')) await secureConsoleAccounts(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      for (const table of ['workspaces', 'organisations']) {
        await sql`drop policy scoped_read on ${sql.table(table)}`.execute(db);
        await sql`create policy directory_read on ${sql.table(table)} for select using (true)`.execute(db);
        await sql`alter table ${sql.table(table)} force row level security`.execute(db);
      }
    },
  };
}
