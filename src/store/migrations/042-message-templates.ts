import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

/**
 * Versioned e-mail and SMS templates per workspace. `message_templates`: a template's name,
 * channel and latest version; `message_template_versions`: each version's content, never
 * changed once written (a run pins the version that was current when it started).
 */
export function messageTemplatesMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('message_templates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('latest_version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('message_templates_ws')
        .on('message_templates')
        .columns(['workspace_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('message_template_versions')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('template_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('message_template_versions_pk', ['template_id', 'version'])
        .execute();
      if (dialect === 'postgres') {
        await enableTenantIsolation(db, 'message_templates');
        await enableTenantIsolation(db, 'message_template_versions');
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('message_template_versions').execute();
      await db.schema.dropTable('message_templates').execute();
    },
  };
}
