import { OWNER_TABLES, TENANT_TABLES } from './schema.ts';

/** A table privilege the application's role may hold. */
export type TablePrivilege = 'select' | 'insert' | 'update' | 'delete';

const DML: readonly TablePrivilege[] = ['select', 'insert', 'update', 'delete'];

/**
 * Every table of the schema and exactly what the application's role may do to it (PostgreSQL).
 * `leadloop migrate` grants from this list and nothing else, after revoking everything, so a new
 * table without a decision here gets no privilege, and `test/least-privilege.test.ts` fails on a
 * table of the schema that is missing from it.
 *
 * - Tenant tables: read and write, row-level security narrows them to the signed data scope.
 * - The audit tables: read only; appends go through the definer functions (migration 010).
 * - Keys and the scope key: nothing; keys through definer functions (migration 012), the scope key
 *   only through the scope check (migration 013).
 * - Organisations and workspaces: read and insert, both under row-level security: a row is
 *   visible only in a signed scope that holds it, or in the process's directory reads (migration
 *   018), and written only for a workspace in the signed scope (014). No delete, no update:
 *   settings through a definer function (017).
 * - Webhook secrets: read only; added, rotated and re-sealed through definer functions that
 *   accept only sealed values (migration 017).
 * - Console accounts (users and their memberships, sessions, invitations): read and write under
 *   row-level security (migration 016); what happens before a workspace is known (by e-mail, by
 *   session or invitation token) goes through definer functions. No DELETE of users.
 */
export const APP_ROLE_GRANTS: Record<string, readonly TablePrivilege[]> = {
  ...Object.fromEntries(TENANT_TABLES.map((table) => [table, DML])),
  audit_log: ['select'],
  audit_heads: ['select'],
  organisations: ['select', 'insert'],
  workspaces: ['select', 'insert'],
  webhook_secrets: ['select'],
  api_keys: [],
  widget_keys: [],
  users: ['select', 'insert', 'update'],
  user_memberships: DML,
  user_sessions: DML,
  user_invitations: DML,
  ...Object.fromEntries(OWNER_TABLES.map((table) => [table, []])),
  leadloop_migrations: ['select'],
  leadloop_migrations_lock: ['select'],
};
