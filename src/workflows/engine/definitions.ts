import type { Clock } from '../../core/index.ts';
import type { Db } from '../../store/index.ts';
import { workspaceRow } from '../../store/index.ts';
import { type Step, stepMap, type Workflow } from '../dsl/index.ts';

export interface LoadedVersion {
  id: string;
  version: number;
  workflow: Workflow;
  steps: Map<string, Step>;
}

/**
 * Workflow versions are immutable, so a loaded version is cached for the life of the process; the
 * list of a workspace's active workflows is cached briefly (the trigger stage reads it for every
 * lead event) and dropped when this process changes it; other processes see changes within `ttlMs`.
 */
export interface DefinitionCache {
  version(db: Db, workspaceId: string, workflowId: string, version: number): Promise<LoadedVersion | null>;
  /** The given version, or the active one when none is given; null when deleted or not active. */
  runnable(db: Db, workspaceId: string, workflowId: string, version?: number): Promise<LoadedVersion | null>;
  active(db: Db, workspaceId: string): Promise<LoadedVersion[]>;
  invalidate(workspaceId: string): void;
}

export function createDefinitionCache(options: {
  clock: Clock;
  ttlMs?: number;
  maxVersions?: number;
}): DefinitionCache {
  const ttlMs = options.ttlMs ?? 1000;
  const maxVersions = options.maxVersions ?? 2000;
  const versions = new Map<string, LoadedVersion>();
  const actives = new Map<string, { at: number; list: LoadedVersion[] }>();

  async function version(
    db: Db,
    workspaceId: string,
    workflowId: string,
    v: number,
  ): Promise<LoadedVersion | null> {
    const key = `${workspaceId}:${workflowId}:${v}`;
    const hit = versions.get(key);
    if (hit) return hit;
    const row = await workspaceRow(
      db,
      'workflow_versions',
      workspaceId,
      { workflow_id: workflowId, version: v },
      ['definition'],
    );
    if (!row) return null;
    const workflow = JSON.parse(row.definition) as Workflow;
    const loaded = { id: workflowId, version: v, workflow, steps: stepMap(workflow) };
    if (versions.size >= maxVersions) versions.delete(versions.keys().next().value as string);
    versions.set(key, loaded);
    return loaded;
  }

  return {
    version,
    async runnable(db, workspaceId, workflowId, v) {
      const row = await workspaceRow(db, 'workflows', workspaceId, { id: workflowId }, [
        'status',
        'active_version',
        'deleted_at',
      ]);
      if (!row || row.deleted_at !== null) return null;
      if (v !== undefined) return version(db, workspaceId, workflowId, v);
      if (row.status !== 'active' || row.active_version === null) return null;
      return version(db, workspaceId, workflowId, row.active_version);
    },
    async active(db, workspaceId) {
      const cached = actives.get(workspaceId);
      const now = options.clock.now();
      if (cached && now - cached.at < ttlMs) return cached.list;
      const rows = await db
        .selectFrom('workflows')
        .select(['id', 'active_version'])
        .where('workspace_id', '=', workspaceId)
        .where('status', '=', 'active')
        .where('deleted_at', 'is', null)
        .execute();
      const list: LoadedVersion[] = [];
      for (const row of rows) {
        if (row.active_version === null) continue;
        const loaded = await version(db, workspaceId, row.id, row.active_version);
        if (loaded) list.push(loaded);
      }
      if (actives.size > 10_000) actives.clear();
      actives.set(workspaceId, { at: now, list });
      return list;
    },
    invalidate(workspaceId) {
      actives.delete(workspaceId);
    },
  };
}
