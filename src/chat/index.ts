/**
 * Qualification chat: playbooks as data, offline slot extraction and the per-session dialog
 * engine. Pure: no storage, no HTTP, no network. The caller stores `SessionState` (plain JSON).
 *
 * @example
 * const engine = createDialogEngine({ clock: systemClock });
 * let { state, replies } = await engine.start(BUILT_IN_PLAYBOOKS.bant, { sessionId });
 * ({ state, replies } = await engine.handle(state, 'We need faster lead routing, budget ~50k'));
 * const summary = summarizeSession(state, Date.now()); // slots, outcome, score, consent, transcript
 */

export type { BuiltInPlaybookId } from './builtin-playbooks.ts';
export { BANT_INPUT, BUILT_IN_PLAYBOOKS, CHAMP_INPUT, MEDDIC_INPUT } from './builtin-playbooks.ts';
// Conversations as a service: storage, the widget's turns, human takeover, hand-off to the pipeline
export type {
  ChatMessage,
  ChatService,
  ChatServiceOptions,
  ChatSessionView,
  ChatTurn,
  ConversationLeadSink,
  SessionStatus,
} from './chat-service.ts';
export { createChatService, leadFromSession, messagesSince } from './chat-service.ts';
export { createChatScoringStage } from './chat-stage.ts';
export type { ChatStore, StoredSession } from './chat-store.ts';
export { createChatStore } from './chat-store.ts';
// Dialog engine
export type { DialogEngine, DialogEngineOptions, HandleOptions, TurnResult } from './dialog-engine.ts';
export { createDialogEngine } from './dialog-engine.ts';
export type { EngineEvent } from './dialog-steps.ts';
// Evaluation (bench:chat and the corpus test)
export type { ConversationFixture, CorpusReport, SlotScore } from './evaluation.ts';
export {
  conversationFixtureSchema,
  evaluateCorpus,
  loadConversationFixtures,
  runConversation,
  valueMatches,
} from './evaluation.ts';
export type { CompanySizeMatch } from './extract-company.ts';
export { extractCompanySize } from './extract-company.ts';
export type { ContactFindings } from './extract-contact.ts';
export { extractContact } from './extract-contact.ts';
export type { MoneyMatch, MoneyOptions } from './extract-money.ts';
export { extractMoney } from './extract-money.ts';
export type { RoleMatch } from './extract-role.ts';
export { extractRoles } from './extract-role.ts';
export type { TimelineMatch, TimelineOptions } from './extract-timeline.ts';
export { ASAP_DAYS, extractTimeline } from './extract-timeline.ts';
export { CHAT_EXTRACT_TASK, createChatExtractSkill, createModelSlotExtractor } from './model-extractor.ts';
export { createOfflineExtractor, extractOffline } from './offline-extractor.ts';
// Playbooks
export type {
  Condition,
  Language,
  LocalizedText,
  Outcome,
  Playbook,
  PlaybookInput,
  Question,
  QuestionInput,
} from './playbook-schema.ts';
export { LANGUAGES, OUTCOMES, parsePlaybook, playbookSchema, questionSchema } from './playbook-schema.ts';
// Replies
export type {
  GuardedPhraserOptions,
  PhrasingContext,
  Reply,
  ReplyKind,
  ReplyPhraser,
} from './reply-phraser.ts';
export { createGuardedPhraser, FIXED_KINDS, rejectPhrasing, templatePhraser } from './reply-phraser.ts';
// Safety
export type { SafetyCategory, SafetyVerdict } from './safety.ts';
export { assessMessage, checkMessage, MAX_MESSAGE_CHARS } from './safety.ts';
export type { PointsLine, RuleInput, ScoreBreakdown } from './scoring.ts';
export { APPROXIMATE_USD_RATES, decideOutcome, scoreSlots } from './scoring.ts';
// Session state and what it produces
export type {
  AgentRef,
  ConsentRecord,
  EndReason,
  FilledSlot,
  Phase,
  SessionContext,
  SessionState,
  TranscriptEntry,
} from './session-state.ts';
export { parseSessionState, sessionStateSchema, slotValues } from './session-state.ts';
// Extraction: the port, the offline default, the model fallback wrapper, the extractors
export type {
  Extraction,
  ExtractionContext,
  ExtractionField,
  FallbackExtractorOptions,
  FallbackReason,
  SlotExtractor,
} from './slot-extractor.ts';
export { createFallbackExtractor, extractionSchema } from './slot-extractor.ts';
// Slot values
export type {
  AuthorityLevel,
  CompanySizeValue,
  MoneyValue,
  SlotType,
  SlotValue,
  SlotValues,
  TimelineValue,
} from './slot-values.ts';
export {
  AUTHORITY_LEVELS,
  companySizeValueSchema,
  moneyValueSchema,
  SLOT_TYPES,
  slotValueSchema,
  timelineValueSchema,
} from './slot-values.ts';
export type { SessionSummary } from './summary.ts';
export { ERASED, eraseSessionPersonalData, summarizeSession } from './summary.ts';
export { contentWords } from './text.ts';
