import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

/**
 * A chat visitor's claim to be an existing lead (same e-mail or phone, unverified): the chat gets
 * a lead of its own and this row links it to the claimed lead until an operator confirms or
 * rejects the link. The claimed lead's data, score and consents never change because of a claim.
 */
export function identityClaimsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('identity_claims')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('lead_id', 'text', (c) => c.notNull())
        .addColumn('claimed_lead_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('matched_on', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_at', 'bigint')
        .addColumn('decided_by', 'text')
        .execute();
      await db.schema
        .createIndex('identity_claims_ws_status')
        .on('identity_claims')
        .columns(['workspace_id', 'status', 'id'])
        .execute();
      if (dialect === 'postgres') await enableTenantIsolation(db, 'identity_claims');
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('identity_claims').execute();
    },
  };
}
