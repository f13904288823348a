import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { secureConsoleAccounts } from './016-console-account-security.ts';
import { tableExists } from './kit.ts';
import { quotedSchema } from './organisation-scope-check.ts';

/**
 * PostgreSQL only. `console_record_sign_in` stops accepting any counter from anyone holding the
 * application role's credentials: without a signed scope it records only what a wrong password
 * over HTTP records (one more failure, or a lock of at most a day); resetting the counter or
 * lifting a lock needs the account reachable from the signed data scope, which the process
 * presents after the password checked out. A session with the role's credentials can then no
 * longer reset the counter between guesses to sidestep the lockout. On a fresh database 050
 * creates the function in this form; here an existing one is replaced.
 */
export function signInCounterScopeMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      if (await tableExists(db, 'users')) await secureConsoleAccounts(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      const q = (name: string) => sql.raw(`${quoted}.${name}`);
      const quoted = await quotedSchema(db);
      await sql`create or replace function ${q('console_record_sign_in')}(p_user text, p_failed integer, p_locked_until bigint)
        returns void language plpgsql security definer set search_path = '' as $fn$
        begin
          update ${q('users')} set failed_logins = p_failed, locked_until = p_locked_until where id = p_user;
        end $fn$`.execute(db);
    },
  };
}
