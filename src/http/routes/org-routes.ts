import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { WINDOWS, type WindowName } from '../../analytics/index.ts';
import { LeadloopError } from '../../core/index.ts';
import type { HttpDeps } from '../deps.ts';
import { type RouteCatalog, registerRoute } from '../route.ts';
import { funnelJson, funnelQuery, funnelSchema } from './analytics-routes.ts';

const workspaceFiguresSchema = z.object({
  leads: z.number().int(),
  qualified: z.number().int(),
  qualificationRate: z.number().nullable(),
  averageScore: z.number().nullable(),
  events: z.object({ accepted: z.number().int(), processed: z.number().int(), failed: z.number().int() }),
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

const windowNames = Object.keys(WINDOWS) as [WindowName, ...WindowName[]];

interface TrendPoint {
  start: number;
  arrivals: number;
  qualified: number;
}

/** Aggregates only: an organisation key never sees a lead's personal data. */
export function registerOrgRoutes(app: FastifyInstance, catalog: RouteCatalog, deps: HttpDeps): void {
  const { tenants, leads } = deps;
  registerRoute(app, catalog, tenants, {
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
        schema: z.object({
          organisationId: z.string(),
          workspaces: z.array(funnelSchema.extend({ workspaceId: z.string(), name: z.string() })),
          total: funnelSchema,
        }),
      },
    },
    async handler({ principal, query }) {
      if (principal?.kind !== 'organisation')
        throw new LeadloopError('forbidden', 'this route needs an organisation key');
      const workspaces = await tenants.listWorkspaces(principal.organisationId);
      const { byWorkspace, total } = await deps.funnel.report(
        workspaces.map((w) => w.id),
        query.window,
      );
      return {
        organisationId: principal.organisationId,
        workspaces: workspaces.flatMap((w) => {
          const report = byWorkspace.get(w.id);
          return report ? [{ workspaceId: w.id, name: w.name, ...funnelJson(report) }] : [];
        }),
        total: funnelJson(total),
      };
    },
  });
  registerRoute(app, catalog, tenants, {
    method: 'GET',
    url: '/v1/org/analytics',
    operationId: 'orgAnalytics',
    summary: "Aggregated figures across the organisation's workspaces (no personal data)",
    tag: 'Organisation',
    auth: 'org',
    query: z
      .object({
        window: z.enum(windowNames).optional().describe('Adds a trend per business unit over this window'),
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
        schema: z.object({
          organisationId: z.string(),
          workspaces: z.array(workspaceFiguresSchema.extend({ workspaceId: z.string(), name: z.string() })),
          total: workspaceFiguresSchema,
        }),
      },
    },
    async handler({ principal, query }) {
      if (principal?.kind !== 'organisation')
        throw new LeadloopError('forbidden', 'this route needs an organisation key');
      const workspaces = await tenants.listWorkspaces(principal.organisationId);
      const trends = new Map<string, TrendPoint[]>();
      if (query.window) {
        const window = query.window;
        const to = deps.clock.now();
        const from = to - WINDOWS[window] * query.periods * 60_000;
        for (const w of workspaces) {
          await deps.analytics.catchUp(w.id);
          const ctx = { workspaceId: w.id, organisationId: principal.organisationId };
          const [arrivals, qualified] = await Promise.all(
            (['arrivals', 'qualified'] as const).map((metric) =>
              deps.analytics.series(ctx, { metric, segment: 'all', window, from, to }),
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
      const trendOf = (ids: readonly string[]) => {
        if (!query.window) return {};
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
        organisationId: principal.organisationId,
        workspaces: workspaces.map((w) => ({
          workspaceId: w.id,
          name: w.name,
          ...byWorkspace.get(w.id),
          ...trendOf([w.id]),
        })),
        total: { ...total, ...trendOf(workspaces.map((w) => w.id)) },
      };
    },
  });
}
