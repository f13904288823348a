import { z } from 'zod';
import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, WorkspaceContext } from '../core/index.ts';
import type { Db, Store } from '../store/index.ts';
import { fromJson, toJson, workspaceRow } from '../store/index.ts';
import type { HolderRegistry } from './holders.ts';
import { scopeOfLeads } from './subject-scope.ts';

const days = z.number().int().min(1).max(36_500).nullable();

/** Per-workspace retention, in days; null keeps that category until erased by request. */
export const retentionPolicySchema = z
  .object({
    unconvertedLeadsDays: days.describe('Erase leads with no conversion and no change for this many days.'),
    transcriptsDays: days.describe(
      'Delete chat sessions (transcripts) older than this; the lead keeps the answers taken from them.',
    ),
    rawPayloadsDays: days.describe('Blank stored submission bodies and idempotency answers older than this.'),
    decisionsDays: days.describe('Delete council decisions (prompts, tool calls) older than this.'),
    workflowRunsDays: days
      .default(90)
      .describe(
        'Delete finished workflow runs and their steps (e-mails sent, HTTP answers) this many days after they ended; default 90.',
      ),
  })
  .strict();
export type RetentionPolicy = z.infer<typeof retentionPolicySchema>;

/**
 * Conservative defaults (used until a workspace sets its own): two years for unconverted leads and
 * decisions, one year for transcripts, 90 days for raw submission bodies (the lead row keeps the
 * normalised values; the body is only needed to reprocess a failed event) and for finished
 * workflow runs (their step outputs hold the e-mails and HTTP answers sent about a person).
 */
const DEFAULT_RETENTION: RetentionPolicy = {
  unconvertedLeadsDays: 730,
  transcriptsDays: 365,
  rawPayloadsDays: 90,
  decisionsDays: 730,
  workflowRunsDays: 90,
};

/** One category's sweep, wired in `src/main` by the capability that owns the table. Idempotent; at most `limit` rows a call. */
interface RetentionTarget {
  sweep(db: Db, ctx: WorkspaceContext, olderThan: number, limit: number): Promise<number>;
}

export interface RetentionTargets {
  /** Lead ids with no conversion whose last change is older than `olderThan`. */
  unconvertedLeads(db: Db, ctx: WorkspaceContext, olderThan: number, limit: number): Promise<string[]>;
  transcripts: RetentionTarget;
  rawPayloads: RetentionTarget;
  decisions: RetentionTarget;
  /** Finished workflow runs (and their steps) that ended before `olderThan`; counts runs. */
  workflowRuns: RetentionTarget;
}

interface RetentionReport {
  startedAt: number;
  finishedAt: number;
  policyVersion: number;
  dryRun: boolean;
  removed: {
    unconvertedLeads: number;
    transcripts: number;
    rawPayloads: number;
    decisions: number;
    workflowRuns: number;
  };
  /** Rows removed per holder while erasing unconverted leads. */
  holders: Record<string, number>;
}

export interface Retention {
  get(
    db: Db,
    ctx: WorkspaceContext,
  ): Promise<{
    policy: RetentionPolicy;
    version: number;
    isDefault: boolean;
    lastRunAt: number | null;
    lastReport: RetentionReport | null;
  }>;
  put(db: Db, ctx: WorkspaceContext, policy: RetentionPolicy, actor: Actor): Promise<number>;
  /** Sweeps every category in batches (one transaction each, so a crash keeps what was done and a rerun finishes). */
  sweep(ctx: WorkspaceContext, actor: Actor, options?: { batch?: number }): Promise<RetentionReport>;
}

const DAY = 86_400_000;

export function createRetention(options: {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  holders: HolderRegistry;
  targets: RetentionTargets;
  /**
   * After the sweep's erasures committed, as after a request's: caches that may still mention the
   * erased leads (the council's decision cache) and storage scrubbing.
   */
  afterErase?: (ctx: WorkspaceContext, leadIds: string[]) => Promise<void>;
}): Retention {
  const { store, clock, audit, holders, targets } = options;

  async function get(db: Db, ctx: WorkspaceContext) {
    const row = await workspaceRow(db, 'privacy_retention', ctx.workspaceId, {});
    return {
      // A policy saved before a category existed keeps that category's default.
      policy: row
        ? { ...DEFAULT_RETENTION, ...fromJson<Partial<RetentionPolicy>>(row.policy, {}) }
        : DEFAULT_RETENTION,
      version: row?.version ?? 0,
      isDefault: !row || row.version === 0,
      lastRunAt: row?.last_run_at === null || row?.last_run_at === undefined ? null : Number(row.last_run_at),
      lastReport: row?.last_report
        ? fromJson<RetentionReport>(row.last_report, null as unknown as RetentionReport)
        : null,
    };
  }

  return {
    get,
    async put(db, ctx, policy, actor) {
      const current = await get(db, ctx);
      const version = current.version + 1;
      const now = clock.now();
      await db
        .insertInto('privacy_retention')
        .values({
          workspace_id: ctx.workspaceId,
          policy: toJson(policy),
          version,
          last_run_at: null,
          last_report: null,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.column('workspace_id').doUpdateSet({ policy: toJson(policy), version, updated_at: now }),
        )
        .execute();
      await audit.append(db, ctx.workspaceId, {
        actor,
        action: 'privacy.retention.updated',
        subject: ctx.workspaceId,
        reason: `retention policy v${version}`,
        data: { version, policy },
      });
      return version;
    },
    async sweep(ctx, actor, sweepOptions = {}) {
      const batch = sweepOptions.batch ?? 500;
      const startedAt = clock.now();
      const { policy, version } = await get(store.db, ctx);
      const removed = { unconvertedLeads: 0, transcripts: 0, rawPayloads: 0, decisions: 0, workflowRuns: 0 };
      const perHolder: Record<string, number> = {};
      const cutoff = (d: number | null) => (d === null ? null : startedAt - d * DAY);

      const leadsBefore = cutoff(policy.unconvertedLeadsDays);
      if (leadsBefore !== null) {
        const erased: string[] = [];
        for (;;) {
          const leadIds = await store.transaction(async (trx) => {
            const found = await targets.unconvertedLeads(trx, ctx, leadsBefore, batch);
            if (found.length === 0) return found;
            const scope = await scopeOfLeads(trx, ctx, found);
            for (const holder of holders.holders())
              perHolder[holder.name] = (perHolder[holder.name] ?? 0) + (await holder.erase(scope));
            return found;
          });
          erased.push(...leadIds);
          removed.unconvertedLeads += leadIds.length;
          if (leadIds.length < batch) break;
        }
        if (erased.length > 0) await options.afterErase?.(ctx, erased);
      }
      const categories = [
        ['transcripts', targets.transcripts, cutoff(policy.transcriptsDays)],
        ['rawPayloads', targets.rawPayloads, cutoff(policy.rawPayloadsDays)],
        ['decisions', targets.decisions, cutoff(policy.decisionsDays)],
        ['workflowRuns', targets.workflowRuns, cutoff(policy.workflowRunsDays)],
      ] as const;
      for (const [name, target, before] of categories) {
        if (before === null) continue;
        for (;;) {
          const done = await store.transaction((trx) => target.sweep(trx, ctx, before, batch));
          removed[name] += done;
          if (done < batch) break;
        }
      }
      const report: RetentionReport = {
        startedAt,
        finishedAt: clock.now(),
        policyVersion: version,
        dryRun: false,
        removed,
        holders: perHolder,
      };
      await store.transaction(async (trx) => {
        await trx
          .insertInto('privacy_retention')
          .values({
            workspace_id: ctx.workspaceId,
            policy: toJson(policy),
            version,
            last_run_at: report.finishedAt,
            last_report: toJson(report),
            updated_at: report.finishedAt,
          })
          .onConflict((oc) =>
            oc
              .column('workspace_id')
              .doUpdateSet({ last_run_at: report.finishedAt, last_report: toJson(report) }),
          )
          .execute();
        await audit.append(trx, ctx.workspaceId, {
          actor,
          action: 'privacy.retention.swept',
          subject: ctx.workspaceId,
          reason: `retention policy v${version}: ${removed.unconvertedLeads} unconverted leads erased, ${removed.transcripts} transcripts deleted, ${removed.rawPayloads} raw payloads blanked, ${removed.decisions} decisions deleted, ${removed.workflowRuns} workflow runs deleted`,
          data: { ...report },
        });
      });
      return report;
    },
  };
}
