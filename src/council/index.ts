/**
 * The AI council: agents as data in pools (industry researchers, regional strategists, domain
 * optimizers, generalists), a router that consults only the agents a question needs (cascade,
 * cache, budget, learning), structured deliberation over the model port, and audited decisions.
 * No storage and no HTTP: the lead implements the ports ({@link CouncilTools}, {@link AgentDirectory},
 * {@link CouncilBudget}, {@link DecisionCache}, {@link RouterStatsStore}) and stores decisions.
 *
 * @example
 * const skills = createSkillRegistry();
 * registerCouncilSkills(skills);
 * const models = createModelClient({ model: 'offline', skills });
 * const council = createCouncil({ models, tools, clock: systemClock, ids: () => ids.next('req') });
 * const result = await council.ask({ type: 'lead.next_action', leadId }, { workspaceId });
 * if (result.ok) audit.append(db, workspaceId, decisionAuditRecord(result.value));
 */

/** Where the council finds a workspace's agents (port). */
export type { AgentDirectory } from './agent-catalog.ts';
/** Merge workspace overrides into the built-ins (validated); a static in-memory directory. */
export { createStaticAgentDirectory, mergeAgents } from './agent-catalog.ts';
/** Agents as data: the zod schema, its condition sets and router signals. */
export type { Agent, AgentInput, ConditionSet, SignalName, Specialty } from './agent-schema.ts';
/** Agent schema, condition-set schema, the signals `appliesWhen` may test, and an agent's task name. */
export { agentSchema, agentTask, conditionSetSchema, SIGNAL_NAMES, specialtySchema } from './agent-schema.ts';
/** The context the router evaluates `appliesWhen` against, and the result of an evaluation. */
export type { Applicability, QuestionContext } from './applies-when.ts';
/** Evaluate one agent's `appliesWhen`. */
export { applicability } from './applies-when.ts';
/** Budget port (calls and tokens per workspace) and its in-memory implementation. */
export type {
  CouncilBudget,
  CouncilBudgetDecision,
  CouncilBudgetGrant,
  CouncilCost,
  InMemoryCouncilBudget,
  InMemoryCouncilBudgetOptions,
} from './budget.ts';
/** In-memory fixed-window council budget. */
export { createInMemoryCouncilBudget } from './budget.ts';
/** The built-in pools (5 industries, 5 regions, 3 domains, 3 generalists). */
export { BUILT_IN_AGENTS } from './builtin-agents.ts';
/** Decision cache port and key parts. */
export type { CacheKeyParts, DecisionCache } from './cache.ts';
/** In-memory LRU decision cache; the cache key function. */
export { createInMemoryDecisionCache, decisionCacheKey } from './cache.ts';
/** Facts rules read about a lead. */
export type { LeadFacts } from './context.ts';
/** Normalisers of untrusted lead fields (whole-value matches only). */
export {
  authorityFromTitle,
  dealBandOf,
  deriveLeadFacts,
  normaliseCountry,
  normaliseIndustry,
  normaliseSource,
  regionOf,
} from './context.ts';
/** The council and its options. */
export type { AskOptions, Council, CouncilOptions } from './council.ts';
/** Create the council. */
export { createCouncil } from './council.ts';
/** The council as the application runs it: ask → store → audit, feedback, overrides, the pipeline job. */
export type {
  CouncilService,
  CouncilServiceOptions,
  DecisionReaction,
  DecisionView,
  FeedbackResult,
} from './council-service.ts';
/** Create the council service. */
export { createCouncilService } from './council-service.ts';
/** The council's storage (decisions with their review, agent overrides, router stats) and its ports over the database. */
export type {
  CouncilTenant,
  DecisionStatus,
  DecisionTrigger,
  StoredDecision,
  StoredOverride,
} from './council-store.ts';
/** Database implementations of the agent directory and router stats ports. */
export { createDbAgentDirectory, createDbRouterStatsStore } from './council-store.ts';
/** The decision record and its parts. */
export type { AgentRunRecord, CouncilDecision, CouncilStrategy, ModelInfo, Vote } from './decision-record.ts';
/** Schema and parser of a stored decision. */
export { councilDecisionSchema, parseCouncilDecision } from './decision-record.ts';
/** The tool plan of an agent's inputs for a question. */
export { planInputs } from './deliberation.ts';
/** The labelled question set (bench and tests). */
export type { QuestionFixture } from './evaluation.ts';
/** Load fixtures, build their in-memory workspace, score routing. */
export {
  fixtureWorkspace,
  loadQuestionFixtures,
  questionFixtureSchema,
  routingScores,
} from './evaluation.ts';
/** In-memory tools (tests, bench) and what they received. */
export type { InMemoryCouncilTools, InMemoryWorkspace, ReceivedCall } from './in-memory-tools.ts';
/** Create in-memory tools. */
export { createInMemoryCouncilTools } from './in-memory-tools.ts';
/** What an agent knows, and the specialties at the table. */
export type { Available, Knowledge } from './knowledge.ts';
/** Rule families of an agent; claim precedence per question type. */
export { availableOf, knowledgeOf, PRECEDENCE } from './knowledge.ts';
/** The pipeline reaction that queues `council.next_action` for a lead that just qualified. */
export { createNextActionStage } from './next-action-stage.ts';
/** Questions, answers and proposals. */
export type {
  Answer,
  AnswerOf,
  DraftedMessage,
  NextActionAnswer,
  Proposal,
  Question,
  QuestionInput,
  Recommendation,
  ResearchAnswer,
  ReviewAnswer,
  RuleNote,
  SegmentAnswer,
} from './question-schemas.ts';
/** Zod schemas of questions, answers and proposals; the decision class of an answer. */
export {
  ANSWER_SCHEMAS,
  decisionClass,
  nextActionAnswerSchema,
  proposalSchema,
  questionSchema,
  researchAnswerSchema,
  reviewAnswerSchema,
  segmentAnswerSchema,
} from './question-schemas.ts';
/** Human review: feedback, override (GDPR Art. 22), audit records. */
export type { CouncilAuditRecord, DecisionOverride, DecisionReview, Feedback } from './review.ts';
/** Apply feedback, override a decision, build audit records. */
export { applyFeedback, decisionAuditRecord, feedbackSchema, overrideDecision } from './review.ts';
/** Router types. */
export type { Candidate, Choice, RouterOptions } from './router.ts';
/** Rank candidates, choose the first agents, cascade; the lead role per question type. */
export { cascadeChoice, initialChoice, LEAD_ROLE, rankCandidates } from './router.ts';
/** What the router learns (Beta counts per combination), and where it lives (port). */
export type { BetaCounts, RouterStats, RouterStatsStore } from './router-stats.ts';
/** Learned stats: empty, parse stored, record a reward, posterior, in-memory store. */
export {
  comboKey,
  createInMemoryRouterStatsStore,
  emptyRouterStats,
  parseRouterStats,
  posterior,
  recordReward,
  routerStatsSchema,
} from './router-stats.ts';
/** Output-guard findings. */
export type { GuardFinding } from './safety.ts';
/** Untrusted-data defences. */
export {
  fenceJson,
  inspectAnswer,
  looksLikeInjection,
  safeDisplayCompany,
  safeDisplayName,
} from './safety.ts';
/** The council skills' input. */
export type { SkillData } from './skills.ts';
/** Register the offline skills of the roles on the model port; run one directly. */
export { councilSkill, registerCouncilSkills, runCouncilSkill } from './skills.ts';
/** Tool gateway: scope, allow-list, recording. */
export type {
  ScopedTools,
  ToolCallFailure,
  ToolCallRecord,
  ToolGateway,
  ToolGatewayOptions,
} from './tool-gateway.ts';
/** Create the per-decision gateway; strip tenant keys from arguments. */
export { createToolGateway, stripTenantKeys } from './tool-gateway.ts';
/** The tools port and its data. */
export type {
  ConversationSlots,
  ConversationSnapshot,
  CouncilTools,
  LeadHistoryItem,
  LeadSnapshot,
  PerformanceMetrics,
  RateWithInterval,
  ScoreSnapshot,
  Segment,
  SegmentCounts,
  SegmentStats,
  ToolArgs,
  ToolPortResults,
  ToolResults,
  ToolScope,
  WorkflowSummary,
} from './tools-port.ts';
/** Argument and result schemas of the tools, and the data schemas. */
export {
  conversationSnapshotSchema,
  leadHistoryItemSchema,
  leadSnapshotSchema,
  performanceMetricsSchema,
  scoreSnapshotSchema,
  segmentCountsSchema,
  segmentSchema,
  TOOL_ARGS,
  TOOL_RESULTS,
  workflowSummarySchema,
} from './tools-port.ts';
/** Closed vocabularies. */
export type {
  AgentRole,
  AuthorityLevel,
  Basis,
  Channel,
  DealBand,
  Domain,
  Factor,
  FitClass,
  Industry,
  NextAction,
  QuestionType,
  Region,
  ReviewKind,
  Source,
  SpecialtyKind,
  ToolName,
} from './vocabulary.ts';
/** The vocabularies as lists. */
export {
  AGENT_ROLES,
  CHANNELS,
  DOMAINS,
  FIT_CLASSES,
  INDUSTRIES,
  NEXT_ACTIONS,
  QUESTION_TYPES,
  REGIONS,
  REVIEW_KINDS,
  TOOL_NAMES,
} from './vocabulary.ts';
/** Wilson score interval. */
export { rateWithInterval } from './wilson.ts';
