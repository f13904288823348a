import { z } from 'zod';
import type { AuditLog } from '../../compliance/index.ts';
import type { Actor, Clock, WorkspaceContext } from '../../core/index.ts';
import type { Db } from '../../store/index.ts';
import { fromJson, toJson } from '../../store/index.ts';

/** How an applied change is watched: the metric it must not hurt, for how long, and by how much. */
const guardSchema = z
  .object({
    metric: z
      .enum(['qualification_rate', 'chat_completion'])
      .default('qualification_rate')
      .describe(
        'qualification_rate: the workspace’s qualified share of arrivals; chat_completion: the share of a playbook’s ended chats that did not stop at a question',
      ),
    windowMinutes: z.number().int().min(15).max(10_080).default(240),
    maxRelativeDrop: z
      .number()
      .min(0.05)
      .max(0.9)
      .default(0.25)
      .describe('Rolled back when the metric falls this share below the window before the change'),
  })
  .strict();
/**
 * The metric a guard watches. A policy sets `qualification_rate` or `chat_completion`; a workflow
 * pause made on a workflow's bounce or unsubscribe alert watches that rate of that workflow instead.
 */
type GuardMetric = 'qualification_rate' | 'chat_completion' | 'bounce_rate' | 'unsubscribe_rate';
export type Guard = Omit<z.infer<typeof guardSchema>, 'metric'> & { metric: GuardMetric };

type GuardSetting = z.infer<typeof guardSchema>;
const DEFAULT_GUARD: GuardSetting = {
  metric: 'qualification_rate',
  windowMinutes: 240,
  maxRelativeDrop: 0.25,
};
/** Chats are fewer than leads: a day's window, and a fifth fewer completed chats rolls it back. */
const CHAT_GUARD: GuardSetting = { metric: 'chat_completion', windowMinutes: 1440, maxRelativeDrop: 0.2 };

/** What a kind does when its detector fires: apply within bounds, only propose, or nothing. */
const modeSchema = (fallback: 'apply' | 'propose' | 'off', what: string) =>
  z.enum(['apply', 'propose', 'off']).default(fallback).describe(what);

/** How many changes of a kind an hour at the most. */
const perHourSchema = () => z.number().int().min(0).max(12).default(1);

/**
 * What the optimiser may change by itself (as data, per workspace). Every kind is bounded, rate
 * limited, guarded and audited; `enabled: false` stops every automatic change (detectors and
 * alerts keep running, proposals are recorded and not applied).
 */
export const optimiserPolicySchema = z
  .object({
    enabled: z.boolean().default(true),
    thresholdNudge: z
      .object({
        enabled: z.boolean().default(true),
        maxStep: z
          .number()
          .min(0)
          .max(0.2)
          .default(0.03)
          .describe('Largest change of a qualification threshold in one step (probability points)'),
        maxPerHour: perHourSchema(),
        guard: guardSchema.default({
          metric: 'qualification_rate',
          windowMinutes: 240,
          maxRelativeDrop: 0.25,
        }),
        raiseGuard: guardSchema
          .default({ metric: 'qualification_rate', windowMinutes: 240, maxRelativeDrop: 0.5 })
          .describe('A raise means fewer qualified leads by design: its guard allows a larger fall'),
      })
      .strict()
      .default({
        enabled: true,
        maxStep: 0.03,
        maxPerHour: 1,
        guard: { metric: 'qualification_rate', windowMinutes: 240, maxRelativeDrop: 0.25 },
        raiseGuard: { metric: 'qualification_rate', windowMinutes: 240, maxRelativeDrop: 0.5 },
      }),
    thresholdRecalibration: z
      .object({
        enabled: z.boolean().default(true),
        guard: guardSchema.default({
          metric: 'qualification_rate',
          windowMinutes: 240,
          maxRelativeDrop: 0.25,
        }),
      })
      .strict()
      .default({
        enabled: true,
        guard: { metric: 'qualification_rate', windowMinutes: 240, maxRelativeDrop: 0.25 },
      }),
    sourcePause: z
      .object({
        mode: modeSchema(
          'apply',
          'When one source’s qualification collapses: hold its leads from automated actions, only record the proposal for a person, or do nothing',
        ),
        maxPerHour: perHourSchema(),
        guard: guardSchema.default(DEFAULT_GUARD),
      })
      .strict()
      .default({ mode: 'apply', maxPerHour: 1, guard: DEFAULT_GUARD }),
    workflowPause: z
      .object({
        mode: modeSchema(
          'apply',
          'When a workflow’s e-mail bounces or unsubscribes spike: deactivate it (no new runs), only record the proposal for a person, or do nothing',
        ),
        maxPerHour: perHourSchema(),
        guard: guardSchema
          .default(DEFAULT_GUARD)
          .describe(
            'A pause made on a workflow’s bounce or unsubscribe alert is watched for `windowMinutes` on that rate of that workflow (the sends of runs still in progress): it is undone when they are back at the rate before the spike, and kept otherwise; `metric` and `maxRelativeDrop` apply only to a pause on another alert',
          ),
      })
      .strict()
      .default({ mode: 'apply', maxPerHour: 1, guard: DEFAULT_GUARD }),
    variantSplit: z
      .object({
        mode: modeSchema(
          'apply',
          'Rebalance workflow split variants by Thompson sampling by itself, only record the proposal for a person, or do nothing',
        ),
        floor: z.number().min(0).max(0.5).default(0.1).describe('Smallest share any variant keeps'),
        maxStep: z
          .number()
          .min(0.01)
          .max(0.5)
          .default(0.1)
          .describe('Largest change of a variant share in one hour'),
        minOutcomes: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(30)
          .describe('Outcomes the split needs (all variants together) before it is rebalanced'),
      })
      .strict()
      .default({ mode: 'apply', floor: 0.1, maxStep: 0.1, minOutcomes: 30 }),
    routingWeights: z
      .object({
        mode: modeSchema(
          'propose',
          "Move round-robin shares toward owners whose leads convert by itself, only record the proposal for a person (default: people's workload is at stake), or do nothing",
        ),
        floor: z.number().min(0).max(0.5).default(0.1).describe('Smallest share any owner keeps'),
        maxStep: z
          .number()
          .min(0.01)
          .max(0.5)
          .default(0.05)
          .describe('Largest change of an owner share in one hour'),
        minOutcomes: z.number().int().min(1).max(100_000).default(50),
      })
      .strict()
      .default({ mode: 'propose', floor: 0.1, maxStep: 0.05, minOutcomes: 50 }),
    questionOrder: z
      .object({
        mode: modeSchema(
          'apply',
          'When chats start stopping at one question: ask it one place later by itself, only record the proposal for a person, or do nothing',
        ),
        maxPerHour: perHourSchema(),
        minReached: z
          .number()
          .int()
          .min(10)
          .max(100_000)
          .default(50)
          .describe(
            'Ended chats that reached each of the two questions (the day before) before they are compared',
          ),
        guard: guardSchema.default(CHAT_GUARD),
      })
      .strict()
      .default({ mode: 'apply', maxPerHour: 1, minReached: 50, guard: CHAT_GUARD }),
    council: modeSchema(
      'apply',
      'On an alert: ask the council and apply its proposals within bounds, only record them, or not ask',
    ),
  })
  .strict();
export type OptimiserPolicy = z.infer<typeof optimiserPolicySchema>;
export type OptimiserPolicyInput = z.input<typeof optimiserPolicySchema>;

const DEFAULT_POLICY: OptimiserPolicy = optimiserPolicySchema.parse({});

export async function readPolicy(
  db: Db,
  workspaceId: string,
): Promise<OptimiserPolicy & { version: number }> {
  const row = await db
    .selectFrom('optimiser_policies')
    .select(['policy', 'version'])
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) return { ...DEFAULT_POLICY, version: 0 };
  return { ...optimiserPolicySchema.parse(fromJson(row.policy, {})), version: Number(row.version) };
}

export async function writePolicy(
  db: Db,
  deps: { audit: AuditLog; clock: Clock },
  ctx: WorkspaceContext,
  input: OptimiserPolicyInput,
  actor: Actor,
): Promise<OptimiserPolicy & { version: number }> {
  const policy = optimiserPolicySchema.parse(input);
  const current = await readPolicy(db, ctx.workspaceId);
  const version = current.version + 1;
  const now = deps.clock.now();
  await db
    .insertInto('optimiser_policies')
    .values({ workspace_id: ctx.workspaceId, policy: toJson(policy), version, updated_at: now })
    .onConflict((oc) =>
      oc.column('workspace_id').doUpdateSet({ policy: toJson(policy), version, updated_at: now }),
    )
    .execute();
  await deps.audit.append(db, ctx.workspaceId, {
    actor,
    action: 'optimiser.policy_updated',
    subject: ctx.workspaceId,
    reason: `optimiser policy version ${version}: automatic changes ${policy.enabled ? 'on' : 'off'}, threshold nudges ${policy.thresholdNudge.enabled ? `≤ ${policy.thresholdNudge.maxStep} a step, ${policy.thresholdNudge.maxPerHour} an hour` : 'off'}, source pauses ${policy.sourcePause.mode === 'off' ? 'off' : `${policy.sourcePause.mode}, ≤ ${policy.sourcePause.maxPerHour} an hour`}, workflow pauses ${policy.workflowPause.mode === 'off' ? 'off' : `${policy.workflowPause.mode}, ≤ ${policy.workflowPause.maxPerHour} an hour`}, question order ${policy.questionOrder.mode === 'off' ? 'off' : `${policy.questionOrder.mode}, ≤ ${policy.questionOrder.maxPerHour} an hour`}, council ${policy.council}`,
    data: { version, policy },
  });
  return { ...policy, version };
}
