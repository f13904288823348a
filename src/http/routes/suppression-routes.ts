import { z } from 'zod';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { iso } from '../schemas.ts';

const entrySchema = z.object({
  hashPrefix: z
    .string()
    .describe('The first 12 hex digits of the peppered HMAC; the contact is never stored'),
  kind: z.enum(['email', 'phone']),
  reason: z.enum(['erasure', 'objection']),
  createdAt: z.iso.datetime(),
});

const entryJson = (entry: { hashPrefix: string; kind: string; reason: string; createdAt: number }) => ({
  ...entry,
  createdAt: iso(entry.createdAt),
});

/** The privacy suppression list (admins): hash prefixes only, and a server-side "is this person suppressed?". */
export function registerSuppressionRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { privacy } = deps;

  route({
    method: 'GET',
    url: '/v1/privacy/suppressions',
    operationId: 'listSuppressions',
    summary: 'The suppression list: erased or objecting people, as hash prefixes, newest first',
    tag: 'Privacy',
    auth: 'admin',
    query: z
      .object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().max(200).optional(),
      })
      .strict(),
    responses: {
      200: {
        description: 'A page of entries',
        schema: z.object({
          items: z.array(entrySchema),
          total: z.number().int(),
          nextCursor: z.string().nullable(),
        }),
      },
    },
    async handler({ principal, query }) {
      const page = await privacy.suppressions.list(workspaceOf(principal), query);
      return { ...page, items: page.items.map(entryJson) };
    },
  });

  route({
    method: 'POST',
    url: '/v1/privacy/suppressions/lookup',
    operationId: 'lookupSuppression',
    summary: 'Is this e-mail or phone suppressed? Normalised and hashed on the server; the check is audited',
    description:
      'A POST so the contact stays out of URLs and access logs. The audit entry keeps the hash prefix, not the contact.',
    tag: 'Privacy',
    auth: 'admin',
    body: z.union([
      z.object({ email: z.string().trim().min(3).max(320) }).strict(),
      z.object({ phone: z.string().trim().min(3).max(40) }).strict(),
    ]),
    responses: {
      200: {
        description: 'The answer',
        schema: z.object({ suppressed: z.boolean(), entry: entrySchema.nullable() }),
      },
    },
    async handler({ principal, body }) {
      const result = await privacy.suppressions.lookup(workspaceOf(principal), body, actorOf(principal));
      return { ...result, entry: result.entry ? entryJson(result.entry) : null };
    },
  });
}
