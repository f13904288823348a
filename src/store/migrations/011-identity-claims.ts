import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { createIndex, createTenantTable, WORKSPACE_ROW } from './kit.ts';

/**
 * A chat visitor's claim to be an existing lead (same e-mail or phone, unverified): the chat gets
 * a lead of its own and this row links it to the claimed lead until an operator confirms or
 * rejects the link. The claimed lead's data, score and consents never change because of a claim.
 */
export function identityClaimsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTenantTable(db, dialect, {
        name: 'identity_claims',
        columns: {
          ...WORKSPACE_ROW,
          lead_id: 'text not null',
          claimed_lead_id: 'text not null',
          event_id: 'text not null',
          matched_on: 'text not null',
          status: 'text not null',
          created_at: 'bigint not null',
          decided_at: 'bigint',
          decided_by: 'text',
        },
      });
      await createIndex(db, 'identity_claims_ws_status', 'identity_claims', ['workspace_id', 'status', 'id']);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('identity_claims').execute();
    },
  };
}
