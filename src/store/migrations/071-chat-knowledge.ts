import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

/**
 * Each workspace's chat knowledge: the documents (FAQ entries, pages, pricing notes) the bot answers
 * visitors' questions from. A `PUT` replaces all of them at once under one `revision`, which the
 * chat's per-workspace cache compares to know its index is stale (also in other processes). The
 * content is the company's own material, not personal data.
 */
export function chatKnowledgeMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('chat_knowledge')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('revision', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('chat_knowledge_pk', ['workspace_id', 'position'])
        .execute();
      if (dialect === 'postgres') await enableTenantIsolation(db, 'chat_knowledge');
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('chat_knowledge').execute();
    },
  };
}
