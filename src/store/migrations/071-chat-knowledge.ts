import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { createTenantTable, IN_WORKSPACE } from './kit.ts';

/**
 * Each workspace's chat knowledge: the documents (FAQ entries, pages, pricing notes) the bot answers
 * visitors' questions from. A `PUT` replaces all of them at once under one `revision`, which the
 * chat's per-workspace cache compares to know its index is stale (also in other processes). The
 * content is the company's own material, not personal data.
 */
export function chatKnowledgeMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTenantTable(db, dialect, {
        name: 'chat_knowledge',
        columns: {
          ...IN_WORKSPACE,
          position: 'integer not null',
          title: 'text not null',
          format: 'text not null',
          content: 'text not null',
          revision: 'text not null',
          updated_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'position'],
      });
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('chat_knowledge').execute();
    },
  };
}
