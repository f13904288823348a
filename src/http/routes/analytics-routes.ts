import { z } from 'zod';
import {
  FUNNEL_WINDOWS,
  type FunnelWindow,
  METRIC_NAMES,
  WINDOWS,
  type WindowName,
} from '../../analytics/index.ts';
import type { HttpDeps } from '../deps.ts';
import { type DeclareRoute, workspaceOf } from '../route.ts';
import { iso } from '../schemas.ts';

const SEGMENT =
  /^(all|(source|playbook|industry|region|workflow):[A-Za-z0-9_.:-]{1,100}|question:[A-Za-z0-9_.:-]{1,100}\/[A-Za-z0-9_.:-]{1,100})$/;
const windowNames = Object.keys(WINDOWS) as [WindowName, ...WindowName[]];

const metricSeriesSchema = z.object({
  metric: z.enum(METRIC_NAMES),
  segment: z.string(),
  window: z.enum(windowNames),
  from: z.string().describe('Start of the first bucket (ISO 8601)'),
  to: z.string(),
  points: z.array(
    z.object({
      start: z.string(),
      value: z.number().nullable().describe('null when the bucket has no events behind a rate or mean'),
      count: z.number().int(),
      modelVersion: z
        .number()
        .int()
        .optional()
        .describe('score_psi against training scores: the champion version whose scores the window holds'),
    }),
  ),
  segments: z.array(z.string()).describe('Segments with data for this metric in the range'),
  baseline: z
    .enum(['training', 'previous_day'])
    .optional()
    .describe(
      'score_psi only: `training` compares each window with the training scores of the champion in force ' +
        '(segment all, every champion in the range stored them); `previous_day` with the 24 hours before `from`',
    ),
  baselineNote: z.string().optional().describe('score_psi only: which champions, or why the previous day'),
});

const funnelWindows = Object.keys(FUNNEL_WINDOWS) as [FunnelWindow, ...FunnelWindow[]];

/** The funnel's query and answer, shared with the organisation's per-unit route. */
export const funnelQuery = z
  .object({ window: z.enum(funnelWindows).default('30d').describe('How far back leads arrived') })
  .strict();

export const funnelSchema = z.object({
  window: z.enum(funnelWindows),
  from: z.string(),
  to: z.string(),
  stages: z
    .array(
      z.object({
        stage: z.enum(['arrived', 'engaged', 'qualified', 'converted']),
        count: z.number().int(),
        fromPrevious: z.number().nullable().describe('Share of the stage before (null: first or empty)'),
        fromArrived: z.number().nullable(),
      }),
    )
    .describe(
      'Leads that arrived in the window and reached each stage or a later one: engaged = chatted or ' +
        'came back with a second submission; qualified = status qualified; converted = an outcome recorded as converted.',
    ),
});

/** A funnel report with ISO times, as both routes answer it. */
export function funnelJson(report: { window: FunnelWindow; from: number; to: number; stages: unknown[] }) {
  return { ...report, from: iso(report.from), to: iso(report.to) };
}

export function registerAnalyticsRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { analytics, funnel } = deps;

  route({
    method: 'GET',
    url: '/v1/analytics/funnel',
    operationId: 'getFunnel',
    summary: 'The lead funnel (arrived, engaged, qualified, converted) over a window',
    tag: 'Analytics',
    auth: 'read',
    query: funnelQuery,
    responses: { 200: { description: 'The funnel', schema: funnelSchema } },
    async handler({ principal, query }) {
      const ctx = workspaceOf(principal);
      const { total } = await funnel.report([ctx.workspaceId], query.window);
      return funnelJson(total);
    },
  });

  route({
    method: 'GET',
    url: '/v1/analytics/metrics',
    operationId: 'getMetricSeries',
    summary: 'A streaming metric as a series over 1m, 15m, 1h or 1d windows, per segment',
    description:
      'Rolled up per minute from the workspace’s domain events (persisted, so a restart loses nothing). ' +
      'Metrics: arrivals, qualified, qualification_rate, scored, mean_score; speed_to_lead_p50/p90 ' +
      '(seconds from acceptance to qualification); handoff_wait_p50/p90 (seconds from a chat hand-off ' +
      'request to a person joining); chats_ended, chat_dropoff (share of chats that stopped at a question); ' +
      'outcomes, conversions, conversion_rate, value; model_calls, model_tokens, model_spend, cost_per_qualified and ' +
      'cost_per_conversion (model spend in US dollars, total / per qualified lead / per conversion: each ' +
      'model’s tokens at its price, LEADLOOP_MODEL_PRICES or the providers’ list prices; offline and Ollama ' +
      'cost 0). Segments: all, source:<source>, ' +
      'playbook:<playbook>, question:<playbook>/<question>; outcomes, conversions and conversion_rate also ' +
      'industry:<industry> and region:<region> (the council vocabularies). Workflow e-mail: emails_sent, ' +
      'bounce_rate, unsubscribe_rate, replies, reply_rate (replies over sends in the window) and meetings, ' +
      'also per workflow:<workflowId>.',
    tag: 'Analytics',
    auth: 'read',
    query: z
      .object({
        metric: z.enum(METRIC_NAMES),
        segment: z
          .string()
          .regex(
            SEGMENT,
            'must be all, source:<source>, playbook:<playbook>, industry:<industry>, region:<region>, workflow:<workflow> or question:<playbook>/<question>',
          )
          .default('all'),
        window: z.enum(windowNames).default('1h'),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
      })
      .strict(),
    responses: { 200: { description: 'The series', schema: metricSeriesSchema } },
    async handler({ principal, query }) {
      const ctx = workspaceOf(principal);
      await analytics.catchUp(ctx.workspaceId);
      const series = await analytics.series(ctx, {
        metric: query.metric,
        segment: query.segment,
        window: query.window,
        from: query.from ? Date.parse(query.from) : undefined,
        to: query.to ? Date.parse(query.to) : undefined,
      });
      return {
        ...series,
        from: iso(series.from),
        to: iso(series.to),
        points: series.points.map((p) => ({ ...p, start: iso(p.start) })),
      };
    },
  });
}
