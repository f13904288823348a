import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, WorkspaceContext } from '../core/index.ts';
import { LeadloopError, toFieldIssues } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import {
  createKnowledgeBase,
  type KnowledgeAnswer,
  type KnowledgeBase,
  type KnowledgePassage,
} from './knowledge.ts';

/** Most documents a workspace may hold. */
const MAX_DOCUMENTS = 200;
/** Longest document, in characters (a long pricing page is ~20k). */
const MAX_DOCUMENT_CHARS = 100_000;
/** All documents together, in characters: the index of one workspace stays a few MB in memory. */
const MAX_TOTAL_CHARS = 1_000_000;
/** Workspaces whose index is kept in memory; the least recently asked one is dropped first. */
const MAX_CACHED_WORKSPACES = 200;

const documentSchema = z
  .object({
    title: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    format: z.enum(['markdown', 'text']).default('markdown'),
    content: z
      .string()
      .max(MAX_DOCUMENT_CHARS, `must be at most ${MAX_DOCUMENT_CHARS} characters`)
      .refine((text) => text.trim() !== '', 'must not be empty'),
  })
  .strict();

/**
 * The body of `PUT /v1/chat/knowledge` (and what `leadloop knowledge load` builds from a folder):
 * the workspace's documents, which replace all earlier ones. Titles are unique (case-insensitive).
 */
export const knowledgeDocumentsSchema = z
  .object({
    documents: z.array(documentSchema).max(MAX_DOCUMENTS, `at most ${MAX_DOCUMENTS} documents`),
  })
  .strict()
  .superRefine((body, ctx) => {
    const seen = new Map<string, number>();
    let total = 0;
    body.documents.forEach((doc, index) => {
      const key = doc.title.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['documents', index, 'title'],
          message: `repeats the title of document ${first}`,
        });
      else seen.set(key, index);
      total += doc.content.length;
    });
    if (total > MAX_TOTAL_CHARS)
      ctx.addIssue({
        code: 'custom',
        path: ['documents'],
        message: `hold ${total} characters together; at most ${MAX_TOTAL_CHARS} are allowed`,
      });
  });

/** A stored document as the API shows it. */
interface KnowledgeDocumentView {
  title: string;
  format: 'markdown' | 'text';
  content: string;
}

/** What a replacement stored. */
interface KnowledgeSummary {
  documents: number;
  /** Answerable sections after splitting markdown on `## ` headings. */
  sections: number;
  characters: number;
  /** Changes whenever the content does. */
  revision: string | null;
  updatedAt: string | null;
}

/**
 * Each workspace's chat knowledge in the database, and the search index built from it: built on the
 * first question after a change and kept per workspace. Every lookup compares the stored revision
 * (one indexed read), so a replacement made by another process is seen at the next question.
 */
export interface KnowledgeLibrary {
  /** Replaces the workspace's documents (validated; audited). */
  replace(ctx: WorkspaceContext, input: unknown, actor: Actor): Promise<KnowledgeSummary>;
  /** The workspace's documents, in the order given. */
  list(ctx: WorkspaceContext): Promise<KnowledgeSummary & { items: KnowledgeDocumentView[] }>;
  /**
   * Answers a visitor's question from the workspace's documents: an answer, `null` when the content
   * does not answer it, `undefined` when the workspace has no documents at all.
   */
  answer(workspaceId: string, question: string): Promise<KnowledgeAnswer | null | undefined>;
  /** The best-ranked passages for a question, for a configured model to write its answer from. */
  search(workspaceId: string, question: string): Promise<readonly KnowledgePassage[]>;
}

function revisionOf(documents: readonly KnowledgeDocumentView[]): string {
  return createHash('sha256').update(JSON.stringify(documents)).digest('hex').slice(0, 16);
}

function baseOf(documents: readonly KnowledgeDocumentView[]): KnowledgeBase {
  return createKnowledgeBase(
    documents.map((doc) => ({
      file: doc.title,
      title: doc.title,
      markdown: doc.content,
      format: doc.format,
    })),
  );
}

/** Creates the library over the `chat_knowledge` table. */
export function createKnowledgeLibrary(options: {
  store: Store;
  clock: Clock;
  audit: AuditLog;
}): KnowledgeLibrary {
  const { store, clock, audit } = options;
  const cache = new Map<string, { revision: string; base: KnowledgeBase }>();

  const read = (workspaceId: string) =>
    store.db
      .selectFrom('chat_knowledge')
      .select(['title', 'format', 'content', 'revision', 'updated_at'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('position')
      .execute();

  return {
    async replace(ctx, input, actor) {
      const parsed = knowledgeDocumentsSchema.safeParse(input);
      if (!parsed.success)
        throw new LeadloopError('validation_failed', 'the knowledge documents are not valid', {
          issues: toFieldIssues(parsed.error, 'body'),
        });
      const documents = parsed.data.documents;
      const revision = revisionOf(documents);
      const now = clock.now();
      await store.transaction(async (trx) => {
        await trx.deleteFrom('chat_knowledge').where('workspace_id', '=', ctx.workspaceId).execute();
        if (documents.length > 0)
          await trx
            .insertInto('chat_knowledge')
            .values(
              documents.map((doc, position) => ({
                workspace_id: ctx.workspaceId,
                position,
                title: doc.title,
                format: doc.format,
                content: doc.content,
                revision,
                updated_at: now,
              })),
            )
            .execute();
        await audit.append(trx, ctx.workspaceId, {
          actor,
          action: 'chat.knowledge_replaced',
          subject: `chat-knowledge:${ctx.workspaceId}`,
          reason: `the chat's knowledge was replaced by ${documents.length} document(s); the bot answers visitors' questions from them`,
          data: { revision, documents: documents.map((doc) => doc.title).slice(0, 50) },
        });
      });
      cache.delete(ctx.workspaceId);
      return {
        documents: documents.length,
        sections: baseOf(documents).sections,
        characters: documents.reduce((sum, doc) => sum + doc.content.length, 0),
        revision: documents.length > 0 ? revision : null,
        updatedAt: documents.length > 0 ? new Date(now).toISOString() : null,
      };
    },

    async list(ctx) {
      const rows = await read(ctx.workspaceId);
      const items = rows.map((row) => ({ title: row.title, format: row.format, content: row.content }));
      const first = rows[0];
      return {
        items,
        documents: items.length,
        sections: items.length > 0 ? baseOf(items).sections : 0,
        characters: items.reduce((sum, doc) => sum + doc.content.length, 0),
        revision: first?.revision ?? null,
        updatedAt: first ? new Date(Number(first.updated_at)).toISOString() : null,
      };
    },

    async answer(workspaceId, question) {
      return (await baseFor(workspaceId))?.answer(question);
    },

    async search(workspaceId, question) {
      return (await baseFor(workspaceId))?.search(question) ?? [];
    },
  };

  /** The workspace's search index, rebuilt when its stored revision changed; none without documents. */
  async function baseFor(workspaceId: string): Promise<KnowledgeBase | undefined> {
    const current = await store.db
      .selectFrom('chat_knowledge')
      .select('revision')
      .where('workspace_id', '=', workspaceId)
      .limit(1)
      .executeTakeFirst();
    if (current === undefined) {
      cache.delete(workspaceId);
      return undefined;
    }
    let entry = cache.get(workspaceId);
    if (entry?.revision !== current.revision) {
      const rows = await read(workspaceId);
      // A replacement committed between the two reads: index what is there now, under its revision.
      entry = {
        revision: rows[0]?.revision ?? current.revision,
        base: baseOf(rows.map((row) => ({ title: row.title, format: row.format, content: row.content }))),
      };
    }
    // Map order is insertion order: re-inserting keeps the most recently asked workspaces last.
    cache.delete(workspaceId);
    cache.set(workspaceId, entry);
    if (cache.size > MAX_CACHED_WORKSPACES) cache.delete(cache.keys().next().value as string);
    return entry.base;
  }
}
