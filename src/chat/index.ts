/**
 * Qualification chat: playbooks as data, offline and model slot extraction, the per-session dialog
 * engine, and the conversation service with its store (sessions, the widget's turns, human
 * takeover, hand-off of a qualified visitor to the pipeline through the `ConversationLeadSink` port).
 */

export { BUILT_IN_PLAYBOOKS } from './builtin-playbooks.ts';
export { createChatService } from './chat-service.ts';
// Conversations as a service: storage, the widget's turns, human takeover, hand-off to the pipeline
export type {
  ChatService,
  ChatTurn,
  ConversationLeadSink,
} from './chat-service-types.ts';
export { createChatScoringStage } from './chat-stage.ts';
export type { ChatStore, StoredSession } from './chat-store.ts';
export { createChatStore } from './chat-store.ts';
export { createDialogEngine } from './dialog-engine.ts';
// Dialog engine
export type { DialogEngine } from './dialog-engine-types.ts';
// Evaluation (bench:chat and the corpus test)

export {
  decidedOutcome,
  evaluateCorpus,
  loadConversationFixtures,
  runConversation,
  valueMatches,
} from './evaluation.ts';

export { extractTimeline } from './extract-timeline.ts';

// Answers to visitors' questions from the workspace's content

// Whether a reply offers a person (bench:chat:heldout counts a decline as a hand-off only then)
export { offersHandoff } from './intents.ts';
export { CHAT_EXTRACT_TASK, createChatExtractSkill, createModelSlotExtractor } from './model-extractor.ts';
// The real-model path of replies: wording and answers through the model port, guarded
export {
  CHAT_ANSWER_TASK,
  CHAT_PHRASE_TASK,
  createModelReplyPhraser,
  draftEchoSkill,
} from './model-phraser.ts';
export { createOfflineExtractor } from './offline-extractor.ts';
// Playbooks

// Replies
export type { Reply } from './reply-phraser.ts';
export { createGuardedPhraser } from './reply-phraser.ts';
// Safety

// Session state and what it produces
export type { SessionState } from './session-state.ts';
export { parseSessionState, slotValues } from './session-state.ts';

// Extraction: the port, the offline default, the model fallback wrapper, the extractors

// Answers to visitors' questions from the workspace's content (bench:chat:heldout measures it)
export { createKnowledgeBase } from './knowledge.ts';
export type { KnowledgeLibrary } from './knowledge-library.ts';
export { createKnowledgeLibrary, knowledgeDocumentsSchema } from './knowledge-library.ts';
export { createFallbackExtractor } from './slot-extractor.ts';
// Slot values
export type { SlotValue } from './slot-values.ts';
export { summarizeSession } from './summary.ts';
export { contentWords } from './text.ts';
