import { type Clock, LeadloopError, readingDirectory } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { parseSettings, type WorkspaceSettings } from './settings.ts';

export interface Workspace {
  id: string;
  organisationId: string;
  name: string;
  settings: WorkspaceSettings;
  createdAt: number;
}

/**
 * The one cache of the workspace directory (workspace → organisation, name, settings). The tenants
 * service reads workspaces through it and the lead pipeline reads organisations through it; `main`
 * creates one and hands it to both, so a process holds each workspace once.
 */
export interface WorkspaceDirectory {
  /** The workspace as `db` (the caller's connection or transaction) sees it, cached for the TTL: settings change. */
  workspace(db: Db, workspaceId: string): Promise<Workspace | null>;
  /** Its organisation. A workspace never changes organisation, so an entry past its TTL still answers. */
  organisationOf(db: Db, workspaceId: string): Promise<string>;
  /** Forgets a workspace (its settings changed). */
  forget(workspaceId: string): void;
}

/** Entries kept at most; past it the cache starts again (workspaces are few, ids are not trusted input here). */
const MAX_ENTRIES = 10_000;

export function toWorkspace(row: {
  id: string;
  organisation_id: string;
  name: string;
  settings: string;
  created_at: number;
}): Workspace {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    name: row.name,
    settings: parseSettings(row.settings),
    createdAt: Number(row.created_at),
  };
}

export function createWorkspaceDirectory(options: { clock: Clock; ttlMs?: number }): WorkspaceDirectory {
  const { clock } = options;
  const ttl = options.ttlMs ?? 5_000;
  const cache = new Map<string, { workspace: Workspace | null; until: number }>();

  const directory: WorkspaceDirectory = {
    async workspace(db, workspaceId) {
      const cached = cache.get(workspaceId);
      if (cached && cached.until > clock.now()) return cached.workspace;
      // Before any scope exists (a URL's id, a credential's workspace): PostgreSQL shows a
      // workspace row only in a signed scope, and only this process can sign one.
      const row = await readingDirectory(() =>
        db.selectFrom('workspaces').selectAll().where('id', '=', workspaceId).executeTakeFirst(),
      );
      const workspace = row ? toWorkspace(row) : null;
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(workspaceId, { workspace, until: clock.now() + ttl });
      return workspace;
    },
    async organisationOf(db, workspaceId) {
      const known = cache.get(workspaceId)?.workspace ?? (await directory.workspace(db, workspaceId));
      if (!known) throw new LeadloopError('not_found', `workspace ${workspaceId} does not exist`);
      return known.organisationId;
    },
    forget(workspaceId) {
      cache.delete(workspaceId);
    },
  };
  return directory;
}
