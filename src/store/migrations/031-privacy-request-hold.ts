import type { Kysely } from 'kysely';
import { addColumn } from './kit.ts';

/**
 * A data-subject request can be filed on hold (the operator verifies who asked first) and is then
 * carried out or rejected by hand; the daily resume must not run it on its own.
 */
export function privacyRequestHoldMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await addColumn(db, 'privacy_requests', 'held', 'integer not null default 0');
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('privacy_requests').dropColumn('held').execute();
    },
  };
}
