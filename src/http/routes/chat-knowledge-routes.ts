import { z } from 'zod';
import { knowledgeDocumentsSchema } from '../../chat/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';

const summaryShape = {
  documents: z.number().int(),
  sections: z.number().int(),
  characters: z.number().int(),
  revision: z.string().nullable(),
  updatedAt: z.string().nullable(),
};

/** The workspace's content the chat bot answers visitors' questions from. */
export function registerChatKnowledgeRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { chatKnowledge } = deps;

  route({
    method: 'PUT',
    url: '/v1/chat/knowledge',
    operationId: 'putChatKnowledge',
    summary:
      "Replace the workspace's chat knowledge: FAQ entries, pages, pricing notes (markdown or plain text, with titles)",
    description:
      'All earlier documents are replaced. Markdown is split into sections on `## ` headings; the text before the first ' +
      'heading is a section under the document title, and a plain-text document is one section. When a visitor asks a ' +
      'question, the bot answers from the best-matching section (BM25) or says it does not know and offers a person, ' +
      'then goes on with the playbook. Limits: 200 documents, 100,000 characters each, 1,000,000 together; titles are ' +
      'unique. `{ "documents": [] }` removes the content. Live conversations use the new content from their next question.',
    tag: 'Chat',
    auth: 'admin',
    bodyLimit: 4 * 1024 * 1024,
    body: knowledgeDocumentsSchema,
    responses: {
      200: { description: 'What is now stored', schema: z.object(summaryShape) },
    },
    async handler({ principal, body }) {
      return chatKnowledge.replace(workspaceOf(principal), body, actorOf(principal));
    },
  });

  route({
    method: 'GET',
    url: '/v1/chat/knowledge',
    operationId: 'getChatKnowledge',
    summary: "The workspace's chat knowledge: its documents in order, with the section count and revision",
    tag: 'Chat',
    auth: 'read',
    responses: {
      200: {
        description: 'The documents',
        schema: z.object({
          ...summaryShape,
          items: z.array(
            z.object({ title: z.string(), format: z.enum(['markdown', 'text']), content: z.string() }),
          ),
        }),
      },
    },
    async handler({ principal }) {
      return chatKnowledge.list(workspaceOf(principal));
    },
  });
}
