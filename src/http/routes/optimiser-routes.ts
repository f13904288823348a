import { z } from 'zod';
import {
  ADJUSTMENT_KINDS,
  type Adjustment,
  ALERT_STATUSES,
  type Alert,
  guaranteeCsv,
  optimiserPolicySchema,
} from '../../optimiser/index.ts';
import { actorNames } from '../actor-names.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { idParam, iso } from '../schemas.ts';

const ADJUSTMENT_STATUSES = ['applied', 'kept', 'rolled_back', 'proposed', 'superseded', 'rejected'] as const;

const evidenceSchema = z.object({
  detector: z.string(),
  metric: z.string(),
  segment: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  baseline: z.object({ value: z.number(), count: z.number(), from: z.string(), to: z.string() }),
  observed: z.object({ value: z.number().nullable(), count: z.number() }),
  statistic: z.number(),
  threshold: z.number(),
});

const alertSchema = z
  .object({
    id: z.string(),
    stream: z.string(),
    kind: z
      .string()
      .describe(
        'qualification_drop, source_silent, chat_dropoff_rise, conversion_drop, workflow_bounce_spike, workflow_unsubscribe_spike, workflow_reply_collapse, model_error_spike or model_latency_rise',
      ),
    status: z.enum(ALERT_STATUSES),
    metric: z.string(),
    segment: z.string(),
    summary: z.string(),
    evidence: evidenceSchema,
    review: z
      .object({
        status: z.enum(['reviewed', 'unavailable']),
        decisionId: z.string().nullable(),
        primary: z.string().nullable(),
        adjustments: z.array(z.string()),
        note: z.string(),
      })
      .nullable()
      .describe('The council’s performance.review of the alert, run without being asked'),
    openedAt: z.string(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.string().nullable().describe('The user or API key id'),
    acknowledgedByName: z
      .string()
      .nullable()
      .describe("The acknowledging user's name (else e-mail), or the key's label; null when unknown"),
    resolvedAt: z.string().nullable(),
    resolution: z.string().nullable(),
  })
  .meta({ id: 'Alert' });

const thresholdsSchema = z.object({ workspace: z.number(), segments: z.record(z.string(), z.number()) });

const sourceHoldSchema = z
  .object({ source: z.string(), held: z.boolean() })
  .describe('A source_pause: the lead source and whether its leads are held from automated actions');

const splitWeightsSchema = z
  .object({ workflowId: z.string(), stepId: z.string(), weights: z.record(z.string(), z.number()) })
  .describe(
    "A split_weights change: the workflow split step and its variants' shares (empty: the step's own weights)",
  );

const workflowPauseSchema = z
  .object({ workflowId: z.string(), active: z.boolean(), version: z.number().int().nullable() })
  .describe('A workflow_pause: the workflow, whether it is active, and the version a rollback activates');

const adjustedValue = z.union([thresholdsSchema, sourceHoldSchema, splitWeightsSchema, workflowPauseSchema]);

const adjustmentSchema = z
  .object({
    id: z.string(),
    kind: z.enum(ADJUSTMENT_KINDS),
    status: z.enum(ADJUSTMENT_STATUSES),
    origin: z.enum(['detector', 'council', 'person']),
    alertId: z.string().nullable(),
    target: z.string(),
    before: adjustedValue,
    after: adjustedValue,
    reason: z.string(),
    guard: z
      .object({
        metric: z.string(),
        windowMinutes: z.number(),
        maxRelativeDrop: z.number(),
        baseline: z.object({ rate: z.number(), arrivals: z.number(), from: z.string(), to: z.string() }),
        observed: z.object({ arrivals: z.number(), qualified: z.number() }),
        statistic: z.number(),
        threshold: z.number(),
      })
      .nullable(),
    createdAt: z.string(),
    guardUntil: z.string(),
    settledAt: z.string().nullable(),
    settlement: z.string().nullable(),
  })
  .meta({ id: 'OptimiserAdjustment' });

const policyResponse = optimiserPolicySchema.extend({ version: z.number().int() });

const guaranteeSchema = z.object({
  periodDays: z.number().int(),
  periods: z.number().int(),
  quantile: z.number(),
  rows: z.array(
    z.object({
      periodFrom: z.string(),
      periodTo: z.string(),
      segment: z.string(),
      qualified: z.number().int(),
      expected: z.number(),
      lower: z.number(),
      upper: z.number(),
      guaranteed: z.number().int(),
      labelled: z.number().int(),
      conversions: z.number().int(),
      held: z.boolean().nullable(),
    }),
  ),
  backtest: z.object({
    periods: z.number().int(),
    held: z.number().int(),
    coverage: z.number().nullable(),
    low: z.number().nullable(),
    high: z.number().nullable(),
    nominal: z.number(),
  }),
  reason: z.string(),
});

function alertView(alert: Alert, nameOf: (actor: string | null) => string | null) {
  const e = alert.evidence;
  return {
    ...alert,
    acknowledgedByName: nameOf(alert.acknowledgedBy),
    evidence: {
      ...e,
      window: { from: iso(e.window.from), to: iso(e.window.to) },
      baseline: { ...e.baseline, from: iso(e.baseline.from), to: iso(e.baseline.to) },
    },
    openedAt: iso(alert.openedAt),
    acknowledgedAt: alert.acknowledgedAt === null ? null : iso(alert.acknowledgedAt),
    resolvedAt: alert.resolvedAt === null ? null : iso(alert.resolvedAt),
  };
}

function adjustmentView(a: Adjustment) {
  const g = a.guard;
  return {
    ...a,
    guard: g
      ? {
          metric: g.metric,
          windowMinutes: g.windowMinutes,
          maxRelativeDrop: g.maxRelativeDrop,
          baseline: { ...g.baseline, from: iso(g.baseline.from), to: iso(g.baseline.to) },
          observed: { arrivals: g.trials, qualified: g.hits },
          statistic: g.statistic,
          threshold: g.h,
        }
      : null,
    createdAt: iso(a.createdAt),
    guardUntil: iso(a.guardUntil),
    settledAt: a.settledAt === null ? null : iso(a.settledAt),
  };
}

const alertParams = z.object({ id: idParam('alr') }).strict();
const adjustmentParams = z.object({ id: idParam('adj') }).strict();
const limit = z.coerce.number().int().min(1).max(500).default(100);

export function registerOptimiserRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { optimiser } = deps;
  if (!optimiser) return;
  const views = async (workspaceId: string, alerts: Alert[]) => {
    const nameOf = await actorNames(
      deps,
      workspaceId,
      alerts.map((a) => a.acknowledgedBy),
    );
    return alerts.map((alert) => alertView(alert, nameOf));
  };

  route({
    method: 'GET',
    url: '/v1/alerts',
    operationId: 'listAlerts',
    summary: 'Detector alerts with their evidence, newest first (open → acknowledged → resolved)',
    description:
      'The optimiser’s monitor runs every minute per workspace (durable schedule) and opens an alert when a detector fires: a qualification-rate drop in a segment (Bernoulli CUSUM) or a source gone silent (Poisson test). Changes arrive on `/v1/events/stream` as `alert.opened`, `alert.acknowledged`, `alert.resolved`.',
    tag: 'Optimiser',
    auth: 'read',
    query: z.object({ status: z.enum(ALERT_STATUSES).optional(), limit }).strict(),
    responses: { 200: { description: 'Alerts', schema: z.object({ items: z.array(alertSchema) }) } },
    async handler({ principal, query }) {
      const ctx = workspaceOf(principal);
      return { items: await views(ctx.workspaceId, await optimiser.alerts(ctx, query)) };
    },
  });

  route({
    method: 'GET',
    url: '/v1/alerts/:id',
    operationId: 'getAlert',
    summary: 'One alert with its evidence and the council’s review',
    tag: 'Optimiser',
    auth: 'read',
    params: alertParams,
    responses: {
      200: { description: 'The alert', schema: alertSchema },
      404: { description: 'No such alert' },
    },
    async handler({ principal, params }) {
      const ctx = workspaceOf(principal);
      const [view] = await views(ctx.workspaceId, [await optimiser.alert(ctx, params.id)]);
      return view;
    },
  });

  route({
    method: 'POST',
    url: '/v1/alerts/:id/ack',
    operationId: 'acknowledgeAlert',
    summary: 'Acknowledge an open alert (audited); the detector still resolves it when the stream recovers',
    tag: 'Optimiser',
    auth: 'operate',
    params: alertParams,
    body: z
      .object({ note: z.string().max(500).optional() })
      .strict()
      .optional(),
    responses: {
      200: { description: 'The alert', schema: alertSchema },
      404: { description: 'No such alert' },
      409: { description: 'The alert is already resolved' },
    },
    async handler({ principal, params, body }) {
      const ctx = workspaceOf(principal);
      const [view] = await views(ctx.workspaceId, [
        await optimiser.acknowledge(ctx, params.id, actorOf(principal), body?.note),
      ]);
      return view;
    },
  });

  route({
    method: 'GET',
    url: '/v1/optimiser/adjustments',
    operationId: 'listOptimiserAdjustments',
    summary: 'Bounded changes the optimiser made or proposed, with their guard and how they settled',
    tag: 'Optimiser',
    auth: 'read',
    query: z.object({ status: z.enum(ADJUSTMENT_STATUSES).optional(), limit }).strict(),
    responses: {
      200: { description: 'Adjustments', schema: z.object({ items: z.array(adjustmentSchema) }) },
    },
    async handler({ principal, query }) {
      const items = await optimiser.adjustments(workspaceOf(principal), query);
      return { items: items.map(adjustmentView) };
    },
  });

  route({
    method: 'POST',
    url: '/v1/optimiser/adjustments',
    operationId: 'requestOptimiserAdjustment',
    summary:
      'Ask for a threshold nudge: applied within the policy’s bounds and guarded like the optimiser’s own',
    description:
      'The step is clamped to the policy’s `thresholdNudge.maxStep`; with the policy off, over its hourly limit or without enough traffic to guard it, the change is recorded as `proposed` with the reason. An applied change is watched by a sequential test on the qualification rate and rolled back by itself if it falls beyond the guard’s bound.',
    tag: 'Optimiser',
    auth: 'admin',
    body: z
      .object({
        kind: z.literal('threshold_nudge'),
        delta: z
          .number()
          .min(-0.2)
          .max(0.2)
          .describe('Signed change of every qualification threshold (probability points)'),
        reason: z.string().min(1).max(500),
      })
      .strict(),
    responses: { 201: { description: 'The adjustment (applied or proposed)', schema: adjustmentSchema } },
    async handler({ principal, body, reply }) {
      const adjustment = await optimiser.nudge(
        workspaceOf(principal),
        { delta: body.delta, reason: body.reason },
        actorOf(principal),
      );
      reply.code(201);
      return adjustmentView(adjustment);
    },
  });

  route({
    method: 'POST',
    url: '/v1/optimiser/adjustments/:id/rollback',
    operationId: 'rollBackOptimiserAdjustment',
    summary: 'Undo a change in force (audited), unless the setting was changed again since',
    tag: 'Optimiser',
    auth: 'operate',
    params: adjustmentParams,
    body: z.object({ reason: z.string().min(1).max(500) }).strict(),
    responses: {
      200: { description: 'The adjustment, rolled back', schema: adjustmentSchema },
      404: { description: 'No such adjustment' },
      409: { description: 'Not in force, or superseded by a later change' },
    },
    async handler({ principal, params, body }) {
      return adjustmentView(
        await optimiser.rollback(workspaceOf(principal), params.id, actorOf(principal), body.reason),
      );
    },
  });

  const decision = z
    .object({ note: z.string().max(500).optional() })
    .strict()
    .optional();
  /** Approving and rejecting a proposal differ only in the verdict recorded and in their wording. */
  const verdictRoute = (
    verdict: 'approve' | 'reject',
    words: { operationId: string; summary: string; description?: string; done: string; conflict: string },
  ) =>
    route({
      method: 'POST',
      url: `/v1/optimiser/adjustments/:id/${verdict}`,
      operationId: words.operationId,
      summary: words.summary,
      ...(words.description === undefined ? {} : { description: words.description }),
      tag: 'Optimiser',
      auth: 'admin',
      params: adjustmentParams,
      body: decision,
      responses: {
        200: { description: words.done, schema: adjustmentSchema },
        404: { description: 'No such adjustment' },
        409: { description: words.conflict },
      },
      async handler({ principal, params, body }) {
        return adjustmentView(
          await optimiser[verdict](workspaceOf(principal), params.id, actorOf(principal), body?.note),
        );
      },
    });
  verdictRoute('approve', {
    operationId: 'approveOptimiserAdjustment',
    summary: 'Apply a proposed change now (audited with you as the actor), bounded and guarded',
    description:
      'A proposal the policy held for a person (mode `propose`, a council recommendation that needs approval, a change over its hourly limit) is applied within the policy’s step bound and watched by the same guard as an automatic change; roll it back with `/rollback`.',
    done: 'The adjustment, applied',
    conflict: 'Not a proposal, or it can no longer be applied (the reason says why)',
  });
  verdictRoute('reject', {
    operationId: 'rejectOptimiserAdjustment',
    summary: 'Decline a proposed change (audited with you as the actor)',
    done: 'The adjustment, rejected',
    conflict: 'Not a proposal',
  });

  route({
    method: 'GET',
    url: '/v1/optimiser/policy',
    operationId: 'getOptimiserPolicy',
    summary: 'What the optimiser may change by itself in this workspace',
    tag: 'Optimiser',
    auth: 'read',
    responses: { 200: { description: 'The policy', schema: policyResponse } },
    async handler({ principal }) {
      return optimiser.policy(workspaceOf(principal));
    },
  });

  route({
    method: 'PUT',
    url: '/v1/optimiser/policy',
    operationId: 'putOptimiserPolicy',
    summary: 'Replace the optimiser policy (audited); `enabled: false` stops every automatic change',
    tag: 'Optimiser',
    auth: 'admin',
    body: optimiserPolicySchema,
    responses: { 200: { description: 'The policy', schema: policyResponse } },
    async handler({ principal, body }) {
      return optimiser.putPolicy(workspaceOf(principal), body, actorOf(principal));
    },
  });

  // The issue names the report /v1/reports/guarantee; both paths run the same handler.
  const guaranteeRoutes = [
    { url: '/v1/optimiser/guarantee', operationId: 'getGuaranteeReport', alias: '' },
    {
      url: '/v1/reports/guarantee',
      operationId: 'getReportsGuarantee',
      alias: ' The same report as `GET /v1/optimiser/guarantee`.',
    },
  ] as const;
  for (const guarantee of guaranteeRoutes)
    route({
      method: 'GET',
      url: guarantee.url,
      operationId: guarantee.operationId,
      summary: 'Guaranteed against realised conversions per period and segment, with the backtest’s coverage',
      description:
        'For each past period (ending at the last UTC midnight) and segment: the qualified leads, the forecast of their conversions with its interval, the guarantee (the forecast’s lower `quantile`), and what happened; `backtest` says how often the guarantee held where every outcome is known. `format=csv` gives the rows as CSV.' +
        guarantee.alias,
      tag: 'Optimiser',
      auth: 'read',
      query: z
        .object({
          period: z
            .string()
            .regex(/^[1-9][0-9]{0,2}d$/, 'must be a number of days such as 30d')
            .default('30d'),
          periods: z.coerce.number().int().min(1).max(120).default(6),
          quantile: z.coerce.number().min(0.01).max(0.4).default(0.1),
          format: z.enum(['json', 'csv']).default('json'),
        })
        .strict(),
      responses: {
        200: { description: 'The report (or text/csv)', schema: guaranteeSchema },
      },
      async handler({ principal, query, reply }) {
        const report = await optimiser.guarantee(workspaceOf(principal), {
          periodDays: Number.parseInt(query.period, 10),
          periods: query.periods,
          quantile: query.quantile,
        });
        if (query.format === 'csv') {
          reply
            .header('content-type', 'text/csv; charset=utf-8')
            .header('content-disposition', 'attachment; filename="guarantee.csv"');
          return guaranteeCsv(report);
        }
        return {
          ...report,
          rows: report.rows.map(({ period, ...row }) => ({
            periodFrom: iso(period.from),
            periodTo: iso(period.to),
            ...row,
          })),
        };
      },
    });
}
