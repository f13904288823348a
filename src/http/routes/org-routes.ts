import { z } from 'zod';
import { type PeriodMeasures, sumMeasures, WINDOWS, type WindowName } from '../../analytics/index.ts';
import { inWorkspace, LeadloopError } from '../../core/index.ts';
import type { Principal } from '../../tenants/index.ts';
import type { HttpDeps } from '../deps.ts';
import type { DeclareRoute } from '../route.ts';
import { funnelJson, funnelQuery, funnelSchema } from './analytics-routes.ts';

const measuresSchema = z.object({
  arrivals: z.number().int(),
  qualified: z.number().int(),
  qualificationRate: z.number().nullable(),
  outcomes: z.number().int(),
  conversions: z.number().int(),
  conversionRate: z.number().nullable().describe('Conversions over recorded outcomes'),
  value: z.number(),
  modelCalls: z.number().nullable().describe('Null for a segment: model spend is kept per unit only'),
  modelTokens: z.number().nullable(),
  tokensPerQualified: z.number().nullable(),
  tokensPerConversion: z.number().nullable(),
  modelSpend: z
    .number()
    .nullable()
    .describe(
      'Model spend in US dollars: each model’s tokens at its price (LEADLOOP_MODEL_PRICES, else the providers’ list prices; offline and Ollama cost 0)',
    ),
  spendPerQualified: z.number().nullable(),
  spendPerConversion: z.number().nullable(),
});

const periodSchema = z
  .object({
    window: z.string(),
    from: z.string(),
    to: z.string(),
    current: measuresSchema,
    previous: measuresSchema.describe('The window of equal length just before (the trend)'),
    segments: z
      .array(z.object({ segment: z.string(), current: measuresSchema, previous: measuresSchema }))
      .describe(
        'Per source (`source:<name>`), industry (`industry:<industry>`) and region (`region:<region>`), in the council’s vocabularies (leads outside them are in no industry or region segment); no model spend',
      ),
  })
  .optional()
  .describe('With `window=Nd`: the measures over the last N days and the N days before');

const workspaceFiguresSchema = z.object({
  leads: z.number().int(),
  qualified: z.number().int(),
  qualificationRate: z.number().nullable(),
  averageScore: z.number().nullable(),
  events: z.object({ accepted: z.number().int(), processed: z.number().int(), failed: z.number().int() }),
  period: periodSchema,
  trend: z
    .array(
      z.object({
        start: z.string(),
        arrivals: z.number().int(),
        qualified: z.number().int(),
        qualificationRate: z.number().nullable(),
      }),
    )
    .optional()
    .describe('With `window`: arrivals and qualified leads per bucket, from the streaming metrics'),
});

const MAX_DAYS = 366;
/** `1m`, `15m`, `1h` (trend buckets, as before) or any `Nd` (a period; `1d` is both). */
const WINDOW = /^(1m|15m|1h|([1-9][0-9]{0,2})d)$/;

const windowNames = Object.keys(WINDOWS) as [WindowName, ...WindowName[]];
const isBucket = (w: string): w is WindowName => (windowNames as string[]).includes(w);
const daysOf = (w: string): number | null => {
  const m = WINDOW.exec(w)?.[2];
  return m ? Number(m) : null;
};

interface TrendPoint {
  start: number;
  arrivals: number;
  qualified: number;
}

interface UnitPeriod {
  current: { all: PeriodMeasures; segments: Map<string, PeriodMeasures> };
  previous: { all: PeriodMeasures; segments: Map<string, PeriodMeasures> };
}

/** A segment summed over units; a segment has no model spend (kept per unit only). */
function sumSegments(list: readonly PeriodMeasures[]): PeriodMeasures {
  return {
    ...sumMeasures(list),
    modelCalls: null,
    modelTokens: null,
    tokensPerQualified: null,
    tokensPerConversion: null,
    modelSpend: null,
    spendPerQualified: null,
    spendPerConversion: null,
  };
}

/** An organisation route's answer: the figures of each business unit (workspace) and their total. */
const perUnitAndTotal = (figures: z.ZodObject) =>
  z.object({
    organisationId: z.string(),
    workspaces: z.array(figures.extend({ workspaceId: z.string(), name: z.string() })),
    total: figures,
  });

/** Aggregates only: an organisation key never sees a lead's personal data. */
export function registerOrgRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { tenants, leads } = deps;
  /** The organisation an organisation key names, with its workspaces (business units). */
  const unitsOf = async (principal: Principal | null) => {
    if (principal?.kind !== 'organisation')
      throw new LeadloopError('forbidden', 'this route needs an organisation key');
    const { organisationId } = principal;
    return { organisationId, workspaces: await tenants.listWorkspaces(organisationId) };
  };
  route({
    method: 'GET',
    url: '/v1/org/funnel',
    operationId: 'orgFunnel',
    summary: 'The lead funnel of each business unit (workspace) and of the organisation (counts only)',
    tag: 'Organisation',
    auth: 'org',
    query: funnelQuery,
    responses: {
      200: {
        description: 'Per business unit and in total',
        schema: perUnitAndTotal(funnelSchema),
      },
    },
    async handler({ principal, query }) {
      const { organisationId, workspaces } = await unitsOf(principal);
      const { byWorkspace, total } = await deps.funnel.report(
        workspaces.map((w) => w.id),
        query.window,
      );
      return {
        organisationId,
        workspaces: workspaces.flatMap((w) => {
          const report = byWorkspace.get(w.id);
          return report ? [{ workspaceId: w.id, name: w.name, ...funnelJson(report) }] : [];
        }),
        total: funnelJson(total),
      };
    },
  });
  route({
    method: 'GET',
    url: '/v1/org/analytics',
    operationId: 'orgAnalytics',
    summary: "Aggregated figures across the organisation's workspaces (no personal data)",
    tag: 'Organisation',
    auth: 'org',
    query: z
      .object({
        window: z
          .string()
          .regex(WINDOW, 'must be 1m, 15m, 1h or a number of days such as 7d, 30d, 90d')
          .refine((w) => (daysOf(w) ?? 0) <= MAX_DAYS, `at most ${MAX_DAYS}d`)
          .optional()
          .describe(
            '`1m`/`15m`/`1h`/`1d`: a trend per business unit in buckets of this length; `Nd`: the ' +
              'measures over the last N days against the N days before, per unit and per source, industry and region',
          ),
        periods: z.coerce
          .number()
          .int()
          .min(1)
          .max(1440)
          .default(24)
          .describe('How many windows the trend covers'),
      })
      .strict(),
    responses: {
      200: {
        description: 'Per-workspace and total counts',
        schema: perUnitAndTotal(workspaceFiguresSchema),
      },
    },
    async handler({ principal, query }) {
      const { organisationId, workspaces } = await unitsOf(principal);
      const trends = new Map<string, TrendPoint[]>();
      if (query.window && isBucket(query.window)) {
        const window = query.window;
        const to = deps.clock.now();
        const from = to - WINDOWS[window] * query.periods * 60_000;
        for (const w of workspaces) {
          await deps.analytics.catchUp(w.id);
          const ctx = { workspaceId: w.id, organisationId };
          const [arrivals, qualified] = await inWorkspace(w.id, () =>
            Promise.all(
              (['arrivals', 'qualified'] as const).map((metric) =>
                deps.analytics.series(ctx, { metric, segment: 'all', window, from, to }),
              ),
            ),
          );
          trends.set(
            w.id,
            (arrivals?.points ?? []).map((p, i) => ({
              start: p.start,
              arrivals: p.count,
              qualified: qualified?.points[i]?.count ?? 0,
            })),
          );
        }
      }
      const days = query.window ? daysOf(query.window) : null;
      const periods = new Map<string, UnitPeriod>();
      let span: { from: number; to: number } | null = null;
      if (days !== null) {
        // Whole minutes, the rollups' grain; the previous window has the same length.
        const to = Math.ceil(deps.clock.now() / 60_000);
        span = { from: to - days * 1440, to };
        for (const w of workspaces) {
          await deps.analytics.catchUp(w.id);
          const ctx = { workspaceId: w.id, organisationId };
          // Each unit in its own data scope: on PostgreSQL row-level security shows only its rows.
          const [current, previous] = await inWorkspace(w.id, () =>
            Promise.all([
              deps.analytics.period(ctx, span?.from ?? to, to),
              deps.analytics.period(ctx, (span?.from ?? to) - days * 1440, span?.from ?? to),
            ]),
          );
          periods.set(w.id, { current, previous });
        }
      }
      const periodOf = (ids: readonly string[]) => {
        if (!span || !query.window) return {};
        const units = ids.flatMap((id) => periods.get(id) ?? []);
        const names = new Set(
          units.flatMap((u) => [...u.current.segments.keys(), ...u.previous.segments.keys()]),
        );
        const segment = (name: string, side: 'current' | 'previous') =>
          sumSegments(units.flatMap((u) => u[side].segments.get(name) ?? []));
        return {
          period: {
            window: query.window,
            from: new Date(span.from * 60_000).toISOString(),
            to: new Date(span.to * 60_000).toISOString(),
            current: sumMeasures(units.map((u) => u.current.all)),
            previous: sumMeasures(units.map((u) => u.previous.all)),
            segments: [...names].sort().map((name) => ({
              segment: name,
              current: segment(name, 'current'),
              previous: segment(name, 'previous'),
            })),
          },
        };
      };
      const trendOf = (ids: readonly string[]) => {
        if (!query.window || !isBucket(query.window)) return {};
        const lists = ids.map((id) => trends.get(id) ?? []);
        const points = (lists[0] ?? []).map((p, i) => {
          const arrivals = lists.reduce((a, l) => a + (l[i]?.arrivals ?? 0), 0);
          const qualified = lists.reduce((a, l) => a + (l[i]?.qualified ?? 0), 0);
          return {
            start: new Date(p.start).toISOString(),
            arrivals,
            qualified,
            qualificationRate: arrivals ? qualified / arrivals : null,
          };
        });
        return { trend: points };
      };
      const { byWorkspace, total } = await leads.figures(workspaces.map((w) => w.id));
      return {
        organisationId,
        workspaces: workspaces.map((w) => ({
          workspaceId: w.id,
          name: w.name,
          ...byWorkspace.get(w.id),
          ...trendOf([w.id]),
          ...periodOf([w.id]),
        })),
        total: {
          ...total,
          ...trendOf(workspaces.map((w) => w.id)),
          ...periodOf(workspaces.map((w) => w.id)),
        },
      };
    },
  });
}
