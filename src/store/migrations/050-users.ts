import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { secureConsoleAccounts } from './016-console-account-security.ts';

/**
 * Operator accounts for the console: users, their roles per workspace and per organisation,
 * database sessions and invitations. Some reads happen before a workspace is known (a session
 * cookie is routed to its workspace, a sign-in finds its account by e-mail); on PostgreSQL those
 * go through definer functions and row-level security covers the rest (migration 016, applied
 * here on a fresh database because 016 runs before these tables exist).
 */
export function usersMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('password_changed_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('user_memberships')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        // Exactly one of the two scopes is set: a workspace role or an organisation role.
        .addColumn('workspace_id', 'text', (c) => c.references('workspaces.id'))
        .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('user_memberships_unique')
        .on('user_memberships')
        .columns(['user_id', 'organisation_id', 'workspace_id'])
        .unique()
        .execute();
      await db.schema
        .createTable('user_sessions')
        // sha256 of the cookie's token; the token itself is never stored.
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('user_sessions_user').on('user_sessions').column('user_id').execute();
      await db.schema
        .createTable('user_invitations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('invited_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('accepted_at', 'bigint')
        .execute();
      if (dialect === 'postgres') await secureConsoleAccounts(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['user_invitations', 'user_sessions', 'user_memberships', 'users'])
        await db.schema.dropTable(table).execute();
    },
  };
}
