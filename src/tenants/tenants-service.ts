import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator, KeyScope, SecretBox } from '../core/index.ts';
import { inWorkspace, isSealed, LeadloopError, readingDirectory, withDataScope } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { toJson } from '../store/index.ts';
import { createApiKeys, type ListedApiKey, type Principal } from './api-keys.ts';
import {
  addWebhookSecret,
  insertWidgetKey,
  lookupWidgetKey,
  writeWorkspaceSettings,
} from './credential-statements.ts';
import { generateWebhookSecret, generateWidgetKey } from './secrets.ts';
import { type WorkspaceSettingsInput, workspaceSettingsSchema } from './settings.ts';
import {
  createWorkspaceDirectory,
  toWorkspace,
  type Workspace,
  type WorkspaceDirectory,
} from './workspace-directory.ts';

interface CreatedWorkspace {
  workspace: Workspace;
  /** Shown once; only its hash is stored. */
  apiKey: string;
  webhookSecret: string;
  /** Publishable key for the chat widget's script tag. */
  widgetKey: string;
}

interface ActiveSecret {
  id: string;
  secret: string;
  expiresAt: number | null;
}

export interface TenantsService {
  createWorkspace(input: { name: string; organisation?: string; actor: Actor }): Promise<CreatedWorkspace>;
  getWorkspace(workspaceId: string): Promise<Workspace | null>;
  /** The deployment's only workspace; null when it has none or several (CLI defaults). */
  soleWorkspace(): Promise<Workspace | null>;
  listWorkspaces(organisationId: string): Promise<Workspace[]>;
  createApiKey(input: {
    workspaceId: string;
    scope: Exclude<KeyScope, 'org'>;
    label?: string;
    actor: Actor;
  }): Promise<{ id: string; key: string }>;
  createOrganisationKey(input: {
    organisationId: string;
    label?: string;
  }): Promise<{ id: string; key: string }>;
  /** The workspace's keys, oldest first, revoked ones included. */
  listApiKeys(workspaceId: string): Promise<ListedApiKey[]>;
  /**
   * Revokes a key of the workspace: the next request with it is refused, in every process. 404 for
   * an id that is not one of the workspace's keys; 409 when it would leave the workspace with no
   * unrevoked admin key and no console admin. Revoking a revoked key answers it as it is.
   */
  revokeApiKey(input: { workspaceId: string; id: string; actor: Actor }): Promise<ListedApiKey>;
  authenticate(key: string): Promise<Principal | null>;
  /** Secrets that verify webhooks right now: the current one and any rotated out but still in overlap. */
  activeSecrets(workspaceId: string): Promise<ActiveSecret[]>;
  rotateSecret(input: {
    workspaceId: string;
    overlapSeconds: number;
    actor: Actor;
  }): Promise<{ id: string; secret: string; previousExpiresAt: number }>;
  updateSettings(workspaceId: string, settings: WorkspaceSettingsInput, actor: Actor): Promise<Workspace>;
  /** The workspace a publishable widget key belongs to, or null. */
  resolveWidgetKey(key: string): Promise<Workspace | null>;
}

export interface TenantsServiceOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  /**
   * How long webhook secrets and widget keys are cached in memory. Another process's rotation
   * takes effect within this time. API keys are not cached: a revocation holds from the next
   * request in every process (docs/decisions/2026-12-06-api-key-revocation.md).
   */
  cacheTtlMs?: number;
  /**
   * Whether the workspace has a console user with the admin role (the users capability answers;
   * `main` wires it). Without it, only admin keys count as a way back into the workspace.
   */
  hasConsoleAdmin?: (workspaceId: string) => Promise<boolean>;
  /** The process's one workspace-directory cache (main shares it with the lead pipeline). */
  directory?: WorkspaceDirectory;
  /**
   * Seals webhook secrets at rest (the master key's box). HMAC verification needs the secret
   * itself, so it cannot be hashed like an API key; sealed with the workspace and secret id as
   * context, a row copied into another workspace does not open. Without a box (tests of this
   * service alone), secrets are stored as given.
   */
  secretBox?: SecretBox;
}

export function createTenantsService(options: TenantsServiceOptions): TenantsService {
  const { store, clock, ids, audit, secretBox } = options;
  const secretContext = (workspaceId: string, id: string) => `webhook-secret:${workspaceId}:${id}`;
  const seal = (workspaceId: string, id: string, secret: string) =>
    secretBox ? secretBox.seal(secret, secretContext(workspaceId, id)) : secret;
  // Rows written before sealing existed open as they are.
  const unseal = (workspaceId: string, id: string, stored: string) =>
    secretBox && isSealed(stored) ? secretBox.open(stored, secretContext(workspaceId, id)) : stored;
  const db = store.db;
  const ttl = options.cacheTtlMs ?? 5_000;
  const secretCache = new Map<string, { secrets: ActiveSecret[]; until: number }>();
  const directory = options.directory ?? createWorkspaceDirectory({ clock, ttlMs: ttl });
  const widgetCache = new Map<string, { workspaceId: string | null; until: number }>();

  const apiKeys = createApiKeys({ store, clock, ids, audit, hasConsoleAdmin: options.hasConsoleAdmin });
  const insertKey = apiKeys.insert;

  const service: TenantsService = {
    async createWorkspace({ name, organisation, actor }) {
      const now = clock.now();
      const workspaceId = ids.next('ws');
      // The new workspace's own rows (secret, audit entry) are written in its data scope.
      return inWorkspace(workspaceId, () =>
        store.transaction(async (trx) => {
          let organisationId: string;
          const existing = organisation
            ? await readingDirectory(() =>
                trx
                  .selectFrom('organisations')
                  .select('id')
                  .where((eb) => eb.or([eb('id', '=', organisation), eb('name', '=', organisation)]))
                  .executeTakeFirst(),
              )
            : undefined;
          if (existing) {
            organisationId = existing.id;
          } else {
            organisationId = ids.next('org');
            await trx
              .insertInto('organisations')
              .values({ id: organisationId, name: organisation ?? name, created_at: now })
              .execute();
          }
          const settings = workspaceSettingsSchema.parse({});
          await trx
            .insertInto('workspaces')
            .values({
              id: workspaceId,
              organisation_id: organisationId,
              name,
              settings: toJson(settings),
              created_at: now,
            })
            .execute();
          const { id: keyId, key } = await insertKey(trx, {
            organisationId,
            workspaceId,
            scope: 'admin',
            label: 'created with the workspace',
            actor,
          });
          const webhookSecret = generateWebhookSecret();
          const secretId = ids.next('whs');
          await addWebhookSecret(
            trx,
            store.dialect,
            {
              id: secretId,
              workspace_id: workspaceId,
              secret: seal(workspaceId, secretId, webhookSecret),
              created_at: now,
            },
            null,
          );
          const widgetKey = generateWidgetKey();
          await insertWidgetKey(trx, store.dialect, {
            key: widgetKey,
            workspace_id: workspaceId,
            created_at: now,
          });
          await audit.append(trx, workspaceId, {
            actor,
            action: 'workspace.created',
            subject: workspaceId,
            reason: `workspace "${name}" created in organisation ${organisationId}`,
            data: { organisationId, apiKeyId: keyId, webhookSecretId: secretId },
          });
          return {
            workspace: { id: workspaceId, organisationId, name, settings, createdAt: now },
            apiKey: key,
            webhookSecret,
            widgetKey,
          };
        }),
      );
    },

    async soleWorkspace() {
      const rows = await readingDirectory(() =>
        db.selectFrom('workspaces').selectAll().orderBy('id').limit(2).execute(),
      );
      return rows.length === 1 && rows[0] ? toWorkspace(rows[0]) : null;
    },
    getWorkspace(workspaceId) {
      return directory.workspace(db, workspaceId);
    },

    async listWorkspaces(organisationId) {
      // An organisation key's scope is built from this list, so it is read before that scope exists.
      const rows = await readingDirectory(() =>
        db
          .selectFrom('workspaces')
          .selectAll()
          .where('organisation_id', '=', organisationId)
          .orderBy('id')
          .execute(),
      );
      return rows.map(toWorkspace);
    },

    async createApiKey({ workspaceId, scope, label, actor }) {
      const workspace = await service.getWorkspace(workspaceId);
      if (!workspace) throw new LeadloopError('not_found', `workspace ${workspaceId} does not exist`);
      return inWorkspace(workspaceId, () =>
        store.transaction(async (trx) => {
          const created = await insertKey(trx, {
            organisationId: workspace.organisationId,
            workspaceId,
            scope,
            label: label ?? '',
            actor,
          });
          await audit.append(trx, workspaceId, {
            actor,
            action: 'api_key.created',
            subject: created.id,
            reason: `a ${scope} key was created`,
            data: { scope },
          });
          return created;
        }),
      );
    },

    async createOrganisationKey({ organisationId, label }) {
      const org = await readingDirectory(() =>
        db
          .selectFrom('organisations')
          .select('id')
          .where((eb) => eb.or([eb('id', '=', organisationId), eb('name', '=', organisationId)]))
          .executeTakeFirst(),
      );
      if (!org) throw new LeadloopError('not_found', `organisation ${organisationId} does not exist`);
      // PostgreSQL mints an organisation key only in a scope that holds all of its workspaces.
      const workspaceIds = (await service.listWorkspaces(org.id)).map((w) => w.id);
      return withDataScope({ kind: 'workspaces', workspaceIds }, () =>
        insertKey(db, {
          organisationId: org.id,
          workspaceId: null,
          scope: 'org',
          label: label ?? '',
          actor: { type: 'cli', id: 'organisation-key' },
        }),
      );
    },

    listApiKeys: apiKeys.list,
    revokeApiKey: apiKeys.revoke,
    authenticate: apiKeys.authenticate,

    async activeSecrets(workspaceId) {
      const now = clock.now();
      const cached = secretCache.get(workspaceId);
      if (cached && cached.until > now)
        return cached.secrets.filter((s) => s.expiresAt === null || s.expiresAt > now);
      const rows = await inWorkspace(workspaceId, () =>
        db
          .selectFrom('webhook_secrets')
          .select(['id', 'secret', 'expires_at'])
          .where('workspace_id', '=', workspaceId)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .orderBy('created_at', 'desc')
          .execute(),
      );
      // A row that does not open (copied from another workspace, altered) verifies nothing.
      const secrets = rows.flatMap((r) => {
        try {
          const secret = unseal(workspaceId, r.id, r.secret);
          return [{ id: r.id, secret, expiresAt: r.expires_at === null ? null : Number(r.expires_at) }];
        } catch {
          return [];
        }
      });
      if (secretCache.size > 10_000) secretCache.clear();
      secretCache.set(workspaceId, { secrets, until: now + ttl });
      return secrets;
    },

    async rotateSecret({ workspaceId, overlapSeconds, actor }) {
      const now = clock.now();
      const previousExpiresAt = now + overlapSeconds * 1000;
      const secret = generateWebhookSecret();
      const id = ids.next('whs');
      await inWorkspace(workspaceId, () =>
        store.transaction(async (trx) => {
          await addWebhookSecret(
            trx,
            store.dialect,
            { id, workspace_id: workspaceId, secret: seal(workspaceId, id, secret), created_at: now },
            previousExpiresAt,
          );
          await audit.append(trx, workspaceId, {
            actor,
            action: 'webhook_secret.rotated',
            subject: id,
            reason: `webhook secret rotated; previous secrets verify until ${new Date(previousExpiresAt).toISOString()}`,
            data: { overlapSeconds },
          });
        }),
      );
      secretCache.delete(workspaceId);
      return { id, secret, previousExpiresAt };
    },

    async resolveWidgetKey(key) {
      if (!/^pk_[A-Za-z0-9_-]{10,64}$/.test(key)) return null;
      const cached = widgetCache.get(key);
      if (cached && cached.until > clock.now())
        return cached.workspaceId ? service.getWorkspace(cached.workspaceId) : null;
      const row = await lookupWidgetKey(db, store.dialect, key);
      const workspaceId = row && row.revoked_at === null ? row.workspace_id : null;
      if (widgetCache.size > 10_000) widgetCache.clear();
      widgetCache.set(key, { workspaceId, until: clock.now() + ttl });
      return workspaceId ? service.getWorkspace(workspaceId) : null;
    },

    async updateSettings(workspaceId, settings, actor) {
      const parsed = workspaceSettingsSchema.parse(settings);
      await inWorkspace(workspaceId, () =>
        store.transaction(async (trx) => {
          await writeWorkspaceSettings(trx, store.dialect, workspaceId, toJson(parsed));
          await audit.append(trx, workspaceId, {
            actor,
            action: 'workspace.settings_updated',
            subject: workspaceId,
            reason: 'settings changed',
            data: { settings: parsed },
          });
        }),
      );
      directory.forget(workspaceId);
      const updated = await service.getWorkspace(workspaceId);
      if (!updated) throw new LeadloopError('not_found', `workspace ${workspaceId} does not exist`);
      return updated;
    },
  };
  return service;
}
