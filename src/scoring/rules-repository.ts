import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, WorkspaceContext } from '../core/index.ts';
import type { Db, Store } from '../store/index.ts';
import { fromJson, toJson } from '../store/index.ts';
import { DEFAULT_RULE_SET, type PointRule, type RuleSet, ruleSetSchema } from './point-rules.ts';

export interface StoredRuleSet extends RuleSet {
  /** 0 while the workspace uses the built-in defaults. */
  version: number;
  updatedAt: number | null;
}

export interface RulesRepository {
  get(db: Db, ctx: WorkspaceContext): Promise<StoredRuleSet>;
  put(ctx: WorkspaceContext, ruleSet: RuleSet, actor: Actor): Promise<StoredRuleSet>;
}

export function createRulesRepository(options: {
  store: Store;
  clock: Clock;
  audit: AuditLog;
}): RulesRepository {
  const { store, clock, audit } = options;
  return {
    async get(db, ctx) {
      const row = await db
        .selectFrom('scoring_rules')
        .selectAll()
        .where('workspace_id', '=', ctx.workspaceId)
        .executeTakeFirst();
      if (!row) return { ...DEFAULT_RULE_SET, version: 0, updatedAt: null };
      return {
        rules: fromJson<PointRule[]>(row.rules, []),
        threshold: row.threshold,
        version: row.version,
        updatedAt: Number(row.updated_at),
      };
    },
    async put(ctx, ruleSet, actor) {
      const parsed = ruleSetSchema.parse(ruleSet);
      const now = clock.now();
      return store.transaction(async (trx) => {
        const current = await trx
          .selectFrom('scoring_rules')
          .select('version')
          .where('workspace_id', '=', ctx.workspaceId)
          .executeTakeFirst();
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
    },
  };
}
