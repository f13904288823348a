import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator, KeyScope, WorkspaceContext } from '../core/index.ts';
import { inWorkspace, LeadloopError } from '../core/index.ts';
import type { Db, Store } from '../store/index.ts';
import {
  type ApiKeyRow,
  insertApiKey,
  type ListedApiKeyRow,
  listApiKeys,
  lookupApiKey,
  revokeApiKey,
  touchApiKey,
} from './credential-statements.ts';
import { generateApiKey, hashApiKey } from './secrets.ts';

/** The result of authenticating an API key. */
export type Principal =
  | {
      kind: 'workspace';
      keyId: string;
      scope: Exclude<KeyScope, 'org'>;
      context: WorkspaceContext;
      /** Set when a console session (not an API key) made the request: the audit actor. */
      userId?: string;
    }
  | { kind: 'organisation'; keyId: string; scope: 'org'; organisationId: string; userId?: string };

/** A workspace's API key as its admins see it (never the key or its hash). */
export interface ListedApiKey {
  id: string;
  scope: Exclude<KeyScope, 'org'>;
  label: string;
  createdAt: number;
  /** `user:<id>`, `api_key:<id>`, `cli:<name>`…; null for keys made before this was recorded. */
  createdBy: string | null;
  /** When it last authenticated, to the minute; null if never (or not since this was recorded). */
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface ApiKeyOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  /** Whether the workspace has a console admin (see TenantsServiceOptions.hasConsoleAdmin). */
  hasConsoleAdmin?: (workspaceId: string) => Promise<boolean>;
}

function toListedKey(row: ListedApiKeyRow): ListedApiKey {
  return {
    id: row.id,
    scope: row.scope as Exclude<KeyScope, 'org'>,
    label: row.label,
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/** Minting, listing, revoking and authenticating API keys: the tenants service's key half. */
export function createApiKeys(options: ApiKeyOptions) {
  const { store, clock, ids, audit } = options;
  const db = store.db;
  // When this process last recorded a key's use; the statement throttles across processes too.
  const touchedAt = new Map<string, number>();
  // Lookups of one key waiting for the next turn of the event loop, not yet sent (see lookupKey).
  const unsent = new Map<string, Promise<ApiKeyRow | undefined>>();

  /**
   * The key's row as the database holds it now. Requests that arrive together with the same key
   * (a burst of ingestion, read from the sockets in one turn) share one query; a request joins
   * only a query that has not been sent yet, so every request is answered by a read that began
   * after it arrived, and a revocation committed before then is always seen.
   */
  function lookupKey(hash: string): Promise<ApiKeyRow | undefined> {
    let lookup = unsent.get(hash);
    if (!lookup) {
      lookup = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        unsent.delete(hash);
        return lookupApiKey(db, store.dialect, hash);
      });
      unsent.set(hash, lookup);
    }
    return lookup;
  }

  const keys = {
    async insert(
      trx: Db,
      row: {
        organisationId: string;
        workspaceId: string | null;
        scope: KeyScope;
        label: string;
        actor: Actor;
      },
    ): Promise<{ id: string; key: string }> {
      const key = generateApiKey(row.scope);
      const id = ids.next('key');
      await insertApiKey(trx, store.dialect, {
        id,
        organisation_id: row.organisationId,
        workspace_id: row.workspaceId,
        scope: row.scope,
        hash: hashApiKey(key),
        prefix: key.slice(0, 14),
        label: row.label,
        created_at: clock.now(),
        created_by: `${row.actor.type}:${row.actor.id}`,
        revoked_at: null,
      });
      return { id, key };
    },

    async list(workspaceId: string): Promise<ListedApiKey[]> {
      const rows = await inWorkspace(workspaceId, () => listApiKeys(db, store.dialect, workspaceId));
      return rows.map(toListedKey);
    },

    async revoke({ workspaceId, id, actor }: { workspaceId: string; id: string; actor: Actor }) {
      // Asked before the transaction: the users' tables are another capability's, read on its own connection.
      const consoleAdmin = options.hasConsoleAdmin ? await options.hasConsoleAdmin(workspaceId) : false;
      await inWorkspace(workspaceId, () =>
        store.transaction(async (trx) => {
          const { outcome, remainingAdminKeys } = await revokeApiKey(trx, store.dialect, {
            workspaceId,
            id,
            now: clock.now(),
          });
          if (outcome === 'missing')
            throw new LeadloopError('not_found', `API key ${id} not found in this workspace`, {
              issues: [{ field: 'path.id', reason: 'no such key in this workspace' }],
            });
          if (outcome === 'already_revoked') return;
          if (remainingAdminKeys === 0 && !consoleAdmin)
            throw new LeadloopError(
              'conflict',
              `revoking ${id} would leave the workspace with no admin key and no console admin; create another admin key (or invite an admin) first`,
              { issues: [{ field: 'path.id', reason: 'the last way to administer the workspace' }] },
            );
          await audit.append(trx, workspaceId, {
            actor,
            action: 'api_key.revoked',
            subject: id,
            reason: 'the key was revoked',
            data: { remainingAdminKeys },
          });
        }),
      );
      const revoked = (await keys.list(workspaceId)).find((k) => k.id === id);
      if (!revoked) throw new LeadloopError('not_found', `API key ${id} not found in this workspace`);
      return revoked;
    },

    async authenticate(key: string): Promise<Principal | null> {
      // Read for every request (one indexed read by hash, shared by a burst), never cached: a
      // revoked key must stop at once in every process, and no process hears of another's revocation.
      const row = await lookupKey(hashApiKey(key));
      if (!row || row.revoked_at !== null) return null;
      let principal: Principal | null = null;
      if (row.scope === 'org') {
        principal = {
          kind: 'organisation',
          keyId: row.id,
          scope: 'org',
          organisationId: row.organisation_id,
        };
      } else if (row.workspace_id) {
        principal = {
          kind: 'workspace',
          keyId: row.id,
          scope: row.scope as Exclude<KeyScope, 'org'>,
          context: { workspaceId: row.workspace_id, organisationId: row.organisation_id },
        };
      }
      const now = clock.now();
      if (principal && now - (touchedAt.get(row.id) ?? Number.NEGATIVE_INFINITY) >= 60_000) {
        if (touchedAt.size >= 10_000) touchedAt.clear();
        touchedAt.set(row.id, now);
        await touchApiKey(db, store.dialect, row.id, now);
      }
      return principal;
    },
  };
  return keys;
}
