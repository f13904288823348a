import type { Logger } from 'pino';
import {
  type ChatService,
  type ChatStore,
  type ConversationLeadSink,
  createChatService,
  createChatStore,
  createDialogEngine,
  createFallbackExtractor,
  createGuardedPhraser,
  createKnowledgeLibrary,
  createModelReplyPhraser,
  createModelSlotExtractor,
  type DialogEngine,
  type KnowledgeLibrary,
} from '../chat/index.ts';
import type { AuditLog } from '../compliance/index.ts';
import type { Config } from '../config/index.ts';
import type { Clock, IdGenerator } from '../core/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import { eventIdOf, type IngestService } from '../ingest/index.ts';
import { readQuestionOrder } from '../optimiser/index.ts';
import type { Store } from '../store/index.ts';
import type { TenantsService } from '../tenants/index.ts';
import { meteredModelClient } from './model-usage-events.ts';
import type { ModelWiring } from './model-wiring.ts';

/** Chat: its stores, each workspace's dialog engine over the model, and its port to ingestion. */
export function wireChat(options: {
  config: Config;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  store: Store;
  audit: AuditLog;
  events: DomainEventLog;
  tenants: TenantsService;
  ingest: IngestService;
  model: ModelWiring;
}): { chats: ChatStore; chatKnowledge: KnowledgeLibrary; chat: ChatService } {
  const { config, clock, ids, logger, store, audit, events, tenants, ingest } = options;
  const { offline, offlineExtractor } = options.model;
  // Every chat model call is recorded as a `model.used` event: spend and model health count it.
  const models = meteredModelClient({
    models: options.model.models,
    prices: options.model.prices,
    store,
    events,
    clock,
    logger,
  });
  // With the offline model, the offline extractor is the model: no detour through the port.
  // With a real model, each workspace's extractor calls it (accounted to that workspace) and falls
  // back to the offline extractor on failure, timeout or invalid output.
  const offlineEngine = createDialogEngine({ clock });
  // The model words each reply and writes answers from retrieved passages; the guard keeps the
  // offline text on failure, timeout, an exhausted budget or a reply it may not send.
  const chatPhraser = (workspaceId: string) =>
    createGuardedPhraser({
      primary: createModelReplyPhraser({ models, workspaceId, timeoutMs: config.LEADLOOP_MODEL_TIMEOUT_MS }),
      timeoutMs: config.LEADLOOP_CHAT_MODEL_TIMEOUT_MS,
      totalTimeoutMs: config.LEADLOOP_MODEL_TIMEOUT_MS,
      onFallback: (reason, cause) =>
        logger.info(
          { workspaceId, reason, err: cause instanceof Error ? cause : undefined },
          'chat reply kept its offline wording',
        ),
    });
  const engines = new Map<string, DialogEngine>();
  const engineFor = (workspaceId: string): DialogEngine => {
    if (offline) return offlineEngine;
    let engine = engines.get(workspaceId);
    if (!engine) {
      const primary = createModelSlotExtractor({ models, workspaceId, offline: offlineExtractor });
      engine = createDialogEngine({
        clock,
        extractor: createFallbackExtractor({
          primary,
          fallback: offlineExtractor,
          timeoutMs: config.LEADLOOP_MODEL_TIMEOUT_MS,
        }),
        phraser: chatPhraser(workspaceId),
      });
      engines.set(workspaceId, engine);
    }
    return engine;
  };
  const chats = createChatStore({ store, clock, audit });
  // Chat's port to ingestion: a finished conversation is submitted like any other lead.
  const conversationLeads: ConversationLeadSink = {
    async submit({ workspaceId, sessionId, lead }) {
      const outcome = await ingest.acceptParsed({
        workspaceId,
        source: 'chat',
        lead,
        idempotencyKey: sessionId,
        prefix: 'conversation',
      });
      return { eventId: eventIdOf(outcome) };
    },
  };
  const chatKnowledge = createKnowledgeLibrary({ store, clock, audit });
  const chat = createChatService({
    knowledge: chatKnowledge,
    store,
    chats,
    engineFor,
    tenants,
    leads: conversationLeads,
    clock,
    ids,
    audit,
    events,
    // The optimiser's question-order changes, read from its table at each conversation's start.
    questionOrder: {
      orderFor: (ctx, playbookId) => readQuestionOrder(store.db, ctx.workspaceId, playbookId),
    },
  });
  return { chats, chatKnowledge, chat };
}
