import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import type { HttpDeps } from '../deps.ts';
import { type RouteCatalog, registerRoute } from '../route.ts';

const workspaceFiguresSchema = z.object({
  leads: z.number().int(),
  qualified: z.number().int(),
  qualificationRate: z.number().nullable(),
  averageScore: z.number().nullable(),
  events: z.object({ accepted: z.number().int(), processed: z.number().int(), failed: z.number().int() }),
});

/** Aggregates only: an organisation key never sees a lead's personal data. */
export function registerOrgRoutes(app: FastifyInstance, catalog: RouteCatalog, deps: HttpDeps): void {
  const { tenants, leads } = deps;
  registerRoute(app, catalog, tenants, {
    method: 'GET',
    url: '/v1/org/analytics',
    operationId: 'orgAnalytics',
    summary: "Aggregated figures across the organisation's workspaces (no personal data)",
    tag: 'Organisation',
    auth: 'org',
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
    async handler({ principal }) {
      if (principal?.kind !== 'organisation')
        throw new LeadloopError('forbidden', 'this route needs an organisation key');
      const workspaces = await tenants.listWorkspaces(principal.organisationId);
      const { byWorkspace, total } = await leads.figures(workspaces.map((w) => w.id));
      return {
        organisationId: principal.organisationId,
        workspaces: workspaces.map((w) => ({
          workspaceId: w.id,
          name: w.name,
          ...byWorkspace.get(w.id),
        })),
        total,
      };
    },
  });
}
