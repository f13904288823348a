import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import * as kit from './kit.ts';

/**
 * Versioned e-mail and SMS templates per workspace. `message_templates`: a template's name,
 * channel and latest version; `message_template_versions`: each version's content, never
 * changed once written (a run pins the version that was current when it started).
 */
export function messageTemplatesMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await kit.createTenantTable(db, dialect, {
        name: 'message_templates',
        columns: {
          ...kit.WORKSPACE_ROW,
          name: 'text not null',
          channel: 'text not null',
          latest_version: 'integer not null',
          ...kit.CREATED_UPDATED,
        },
      });
      await kit.createIndex(db, 'message_templates_ws', 'message_templates', ['workspace_id', 'created_at']);
      await kit.createTenantTable(db, dialect, {
        name: 'message_template_versions',
        columns: {
          ...kit.IN_WORKSPACE,
          template_id: 'text not null',
          version: 'integer not null',
          content: 'text not null',
          created_by: 'text not null',
          created_at: 'bigint not null',
        },
        primaryKey: ['template_id', 'version'],
      });
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await kit.dropTables(db, ['message_template_versions', 'message_templates']);
    },
  };
}
