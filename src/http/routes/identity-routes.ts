import { z } from 'zod';
import type { IdentityClaim } from '../../leads/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { idParam, iso } from '../schemas.ts';

const claimSchema = z.object({
  id: z.string(),
  leadId: z.string().describe('The chat’s own lead'),
  claimedLeadId: z.string().describe('The existing lead whose e-mail or phone the visitor gave'),
  eventId: z.string(),
  matchedOn: z.enum(['email', 'phone']),
  status: z.enum(['pending', 'confirmed', 'rejected']),
  createdAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().nullable(),
  decidedBy: z.string().nullable(),
});

const claimId = idParam('idc');

function claimJson(claim: IdentityClaim) {
  return {
    ...claim,
    createdAt: iso(claim.createdAt),
    decidedAt: claim.decidedAt === null ? null : iso(claim.decidedAt),
  };
}

/** Operators review chat visitors' unverified claims to be existing leads (issue 12). */
export function registerIdentityRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { claims } = deps;

  route({
    method: 'GET',
    url: '/v1/identity-claims',
    operationId: 'listIdentityClaims',
    summary: 'Chat leads that gave an existing lead’s e-mail or phone, newest first',
    description:
      'A chat visitor is not verified: giving an existing lead’s e-mail creates a separate lead that claims it, and the existing lead’s data, score and consents stay unchanged until an operator decides.',
    tag: 'Leads',
    auth: 'read',
    query: z.object({ status: z.enum(['pending', 'confirmed', 'rejected']).optional() }).strict(),
    responses: { 200: { description: 'Claims', schema: z.object({ items: z.array(claimSchema) }) } },
    async handler({ principal, query }) {
      const items = await claims.list(workspaceOf(principal), { status: query.status });
      return { items: items.map(claimJson) };
    },
  });

  for (const [verb, status] of [
    ['confirm', 'confirmed'],
    ['reject', 'rejected'],
  ] as const) {
    route({
      method: 'POST',
      url: `/v1/identity-claims/:id/${verb}`,
      operationId: `${verb}IdentityClaim`,
      summary:
        verb === 'confirm'
          ? 'Confirm that a chat lead is the person it claims to be (audited; moves no data)'
          : 'Reject a chat lead’s claim to be an existing lead (audited)',
      tag: 'Leads',
      auth: 'admin',
      params: z.object({ id: claimId }),
      body: z.object({ reason: z.string().trim().min(3).max(500).describe('Why; kept in the audit trail.') }),
      responses: {
        200: { description: 'The decided claim', schema: claimSchema },
        409: { description: 'Already decided' },
      },
      async handler({ principal, params, body }) {
        const decided = await claims.decide(workspaceOf(principal), params.id, {
          status,
          reason: body.reason,
          actor: actorOf(principal),
        });
        return claimJson(decided);
      },
    });
  }
}
