import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import {
  CREATED_UPDATED,
  createIndex,
  createTenantTable,
  dropTables,
  IN_WORKSPACE,
  WORKSPACE_ROW,
} from './kit.ts';

/**
 * Versioned e-mail and SMS templates per workspace. `message_templates`: a template's name,
 * channel and latest version; `message_template_versions`: each version's content, never
 * changed once written (a run pins the version that was current when it started).
 */
export function messageTemplatesMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTenantTable(db, dialect, {
        name: 'message_templates',
        columns: {
          ...WORKSPACE_ROW,
          name: 'text not null',
          channel: 'text not null',
          latest_version: 'integer not null',
          ...CREATED_UPDATED,
        },
      });
      await createIndex(db, 'message_templates_ws', 'message_templates', ['workspace_id', 'created_at']);
      await createTenantTable(db, dialect, {
        name: 'message_template_versions',
        columns: {
          ...IN_WORKSPACE,
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
      await dropTables(db, ['message_template_versions', 'message_templates']);
    },
  };
}
