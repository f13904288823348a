import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { secureConsoleAccounts } from './016-console-account-security.ts';
import { createIndex, createTable } from './kit.ts';

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
      await createTable(db, {
        name: 'users',
        columns: {
          id: 'text primary key',
          email: 'text not null unique',
          name: 'text not null',
          password_hash: 'text not null',
          failed_logins: 'integer not null default 0',
          locked_until: 'bigint',
          created_at: 'bigint not null',
          password_changed_at: 'bigint not null',
        },
      });
      await createTable(db, {
        name: 'user_memberships',
        columns: {
          user_id: 'text not null references users.id',
          // Exactly one of the two scopes is set: a workspace role or an organisation role.
          workspace_id: 'text references workspaces.id',
          organisation_id: 'text not null references organisations.id',
          role: 'text not null',
          created_at: 'bigint not null',
        },
      });
      await createIndex(
        db,
        'user_memberships_unique',
        'user_memberships',
        ['user_id', 'organisation_id', 'workspace_id'],
        { unique: true },
      );
      await createTable(db, {
        name: 'user_sessions',
        columns: {
          // sha256 of the cookie's token; the token itself is never stored.
          id: 'text primary key',
          user_id: 'text not null references users.id',
          workspace_id: 'text not null references workspaces.id',
          created_at: 'bigint not null',
          last_seen_at: 'bigint not null',
          expires_at: 'bigint not null',
        },
      });
      await createIndex(db, 'user_sessions_user', 'user_sessions', ['user_id']);
      await createTable(db, {
        name: 'user_invitations',
        columns: {
          id: 'text primary key',
          token_hash: 'text not null unique',
          email: 'text not null',
          workspace_id: 'text not null references workspaces.id',
          role: 'text not null',
          invited_by: 'text not null',
          created_at: 'bigint not null',
          expires_at: 'bigint not null',
          accepted_at: 'bigint',
        },
      });
      if (dialect === 'postgres') await secureConsoleAccounts(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['user_invitations', 'user_sessions', 'user_memberships', 'users'])
        await db.schema.dropTable(table).execute();
    },
  };
}
