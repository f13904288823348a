import type { Kysely } from 'kysely';
import { CREATED_UPDATED, createIndex, createTable, IN_WORKSPACE, WORKSPACE_ROW } from './kit.ts';

/** Chat: publishable widget keys, stored conversations, per-workspace playbooks. */
export function chatMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTable(db, {
        name: 'widget_keys',
        columns: {
          key: 'text primary key',
          workspace_id: 'text not null references workspaces.id',
          created_at: 'bigint not null',
          revoked_at: 'bigint',
        },
      });
      await createIndex(db, 'widget_keys_ws', 'widget_keys', ['workspace_id']);

      await createTable(db, {
        name: 'chat_sessions',
        columns: {
          ...WORKSPACE_ROW,
          playbook_id: 'text not null',
          status: 'text not null',
          outcome: 'text',
          state: 'text not null',
          version: 'integer not null',
          event_id: 'text',
          lead_id: 'text',
          ...CREATED_UPDATED,
        },
      });
      await createIndex(db, 'chat_sessions_ws_lead', 'chat_sessions', ['workspace_id', 'lead_id']);

      await createTable(db, {
        name: 'playbooks',
        columns: {
          ...IN_WORKSPACE,
          id: 'text not null',
          version: 'integer not null',
          definition: 'text not null',
          updated_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'id'],
      });
    },
  };
}
