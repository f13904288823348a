import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HttpDeps } from '../deps.ts';
import { type RouteCatalog, registerRoute, workspaceOf } from '../route.ts';
import { iso } from '../schemas.ts';

const conversationSummary = z.object({
  id: z.string(),
  status: z.enum(['active', 'taken_over', 'ended']),
  outcome: z.string().nullable(),
  playbook: z.string(),
  leadId: z.string().nullable(),
  takenOverBy: z.string().nullable(),
  lastMessage: z.object({ role: z.string(), text: z.string(), at: z.string() }).nullable(),
  messages: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** Reads the console needed that the API did not have yet (each also open to machines). */
export function registerConsoleRoutes(app: FastifyInstance, catalog: RouteCatalog, deps: HttpDeps): void {
  const { tenants, chats } = deps;

  registerRoute(app, catalog, tenants, {
    method: 'GET',
    url: '/v1/chat/sessions',
    operationId: 'listChatSessions',
    summary: 'Conversations, most recently active first, with a preview of the last message',
    description: 'Previews only: the transcript is at GET /v1/chat/sessions/{id}.',
    tag: 'Chat',
    auth: 'read',
    query: z
      .object({
        status: z.enum(['active', 'taken_over', 'ended']).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      })
      .strict(),
    responses: {
      200: { description: 'Conversations', schema: z.object({ items: z.array(conversationSummary) }) },
    },
    async handler({ principal, query }) {
      const sessions = await chats.listSessions(workspaceOf(principal), query);
      return {
        items: sessions.map(({ row, state }) => {
          const visible = state.transcript.filter((t) => t.role !== 'system');
          const last = visible.at(-1);
          return {
            id: row.id,
            status: row.status as 'active' | 'taken_over' | 'ended',
            outcome: row.outcome,
            playbook: row.playbook_id,
            leadId: row.lead_id,
            takenOverBy: state.takenOver ? (state.takenOver.agent.name ?? state.takenOver.agent.id) : null,
            lastMessage: last ? { role: last.role, text: last.text.slice(0, 140), at: last.at } : null,
            messages: visible.length,
            createdAt: iso(row.created_at),
            updatedAt: iso(row.updated_at),
          };
        }),
      };
    },
  });
}
