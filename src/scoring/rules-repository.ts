import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, WorkspaceContext } from '../core/index.ts';
import type { Db, Store, UnitOfWork } from '../store/index.ts';
import { dbOf, fromJson, toJson, workspaceRow } from '../store/index.ts';
import { DEFAULT_RULE_SET, type PointRule, type RuleSet, ruleSetSchema } from './point-rules.ts';

interface StoredRuleSet extends RuleSet {
  /** 0 while the workspace uses the built-in defaults. */
  version: number;
  updatedAt: number | null;
}

export interface RulesRepository {
  /** The rules as `db` (the caller's transaction) sees them; cached for a second per workspace. */
  get(unit: UnitOfWork, ctx: WorkspaceContext): Promise<StoredRuleSet>;
  /** The rules now, outside any transaction (API and CLI reads). */
  current(ctx: WorkspaceContext): Promise<StoredRuleSet>;
  put(ctx: WorkspaceContext, ruleSet: RuleSet, actor: Actor): Promise<StoredRuleSet>;
}

export function createRulesRepository(options: {
  store: Store;
  clock: Clock;
  audit: AuditLog;
}): RulesRepository {
  const { store, clock, audit } = options;
  // Every processed event reads its workspace's rules; a one-second cache saves that query while
  // keeping another process's change visible within a second (this process's own at once).
  const cache = new Map<string, { value: StoredRuleSet; until: number }>();
  // Bumped by every write, before and after it: a read that began before a write ends (a pipeline
  // set whose transaction still sees the old rules) must not put them back in the cache after the
  // write cleared it, or this process scores with the old rules for another second.
  let writes = 0;
  const repository: RulesRepository = {
    current: (ctx) => repository.get(store.db, ctx),
    async get(unit, ctx) {
      const cached = cache.get(ctx.workspaceId);
      if (cached && cached.until > clock.now()) return cached.value;
      const before = writes;
      const value = await read(dbOf(unit), ctx);
      if (writes !== before) return value;
      if (cache.size > 10_000) cache.clear();
      cache.set(ctx.workspaceId, { value, until: clock.now() + 1000 });
      return value;
    },
    async put(ctx, ruleSet, actor) {
      writes += 1;
      cache.delete(ctx.workspaceId);
      try {
        return await write(ctx, ruleSet, actor);
      } finally {
        writes += 1;
        cache.delete(ctx.workspaceId);
      }
    },
  };
  return repository;

  async function read(db: Db, ctx: WorkspaceContext): Promise<StoredRuleSet> {
    const row = await workspaceRow(db, 'scoring_rules', ctx.workspaceId, {});
    if (!row) return { ...DEFAULT_RULE_SET, version: 0, updatedAt: null };
    return {
      rules: fromJson<PointRule[]>(row.rules, []),
      threshold: row.threshold,
      version: row.version,
      updatedAt: Number(row.updated_at),
    };
  }

  async function write(ctx: WorkspaceContext, ruleSet: RuleSet, actor: Actor): Promise<StoredRuleSet> {
    const parsed = ruleSetSchema.parse(ruleSet);
    const now = clock.now();
    return store.transaction(async (trx) => {
      const current = await workspaceRow(trx, 'scoring_rules', ctx.workspaceId, {}, ['version']);
      const version = (current?.version ?? 0) + 1;
      if (current) {
        await trx
          .updateTable('scoring_rules')
          .set({ version, rules: toJson(parsed.rules), threshold: parsed.threshold, updated_at: now })
          .where('workspace_id', '=', ctx.workspaceId)
          .execute();
      } else {
        await trx
          .insertInto('scoring_rules')
          .values({
            workspace_id: ctx.workspaceId,
            version,
            rules: toJson(parsed.rules),
            threshold: parsed.threshold,
            updated_at: now,
          })
          .execute();
      }
      await audit.append(trx, ctx.workspaceId, {
        actor,
        action: 'scoring.rules_updated',
        subject: ctx.workspaceId,
        reason: `point rules set to version ${version} (${parsed.rules.length} rules, threshold ${parsed.threshold}); applies to leads processed from now on`,
        data: { version, threshold: parsed.threshold, ruleIds: parsed.rules.map((r) => r.id) },
      });
      return { ...parsed, version, updatedAt: now };
    });
  }
}
