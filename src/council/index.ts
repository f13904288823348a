/**
 * The AI council: agents as data in pools, a router that consults only the agents a question needs
 * (cascade, cache, budget, learning), structured deliberation over the model port, audited
 * decisions, and the council service with its store (decisions, agent overrides, router stats).
 * Leads, scores and conversations come through the `CouncilTools` port that `src/main` wires.
 */

/** Where the council finds a workspace's agents (port). */
/** Merge workspace overrides into the built-ins (validated); a static in-memory directory. */
/** Agents as data: the zod schema, its condition sets and router signals. */
/** Agent schema, condition-set schema, the signals `appliesWhen` may test, and an agent's task name. */
/** The context the router evaluates `appliesWhen` against, and the result of an evaluation. */
/** Evaluate one agent's `appliesWhen`. */

/** Budget port (calls and tokens per workspace) and its in-memory implementation. */
export type { CouncilCost } from './budget.ts';
/** In-memory fixed-window council budget. */
export { createInMemoryCouncilBudget } from './budget.ts';
/** The built-in pools (5 industries, 5 regions, 3 domains, 3 generalists). */

/** Decision cache port and key parts. */
export type { DecisionCache } from './cache.ts';
/** In-memory LRU decision cache; the cache key function. */
export { createInMemoryDecisionCache } from './cache.ts';
/** Facts rules read about a lead. */

/** Normalisers of untrusted lead fields (whole-value matches only). */
export {
  dealBandOf,
  normaliseCountry,
  normaliseIndustry,
  normaliseSource,
  regionOf,
} from './context.ts';
/** The council and its options. */

/** Create the council. */
export { createCouncil } from './council.ts';
/** The council as the application runs it: ask → store → audit, feedback, overrides, the pipeline job. */
export type { CouncilService } from './council-service.ts';
/** Create the council service. */
export { createCouncilService } from './council-service.ts';
/** The council's storage (decisions with their review, agent overrides, router stats) and its ports over the database. */

/** Database implementations of the agent directory and router stats ports. */
export { createDbAgentDirectory, createDbRouterStatsStore } from './council-store.ts';
/** The decision record and its parts. */
export type { CouncilDecision, CouncilStrategy } from './decision-record.ts';
/** Schema and parser of a stored decision. */
/** The tool plan of an agent's inputs for a question. */

/** The labelled question set (bench and tests). */
export type { QuestionFixture } from './evaluation.ts';
/** Load fixtures, build their in-memory workspace, score routing. */
export {
  fixtureWorkspace,
  loadQuestionFixtures,
  routingScores,
} from './evaluation.ts';
/** In-memory tools (tests, bench) and what they received. */

/** Create in-memory tools. */
export { createInMemoryCouncilTools } from './in-memory-tools.ts';
/** What an agent knows, and the specialties at the table. */
/** Rule families of an agent; claim precedence per question type. */

/** The pipeline reaction that queues `council.next_action` for a lead that just qualified. */
export { createNextActionStage } from './next-action-stage.ts';
/** Questions, answers and proposals. */

/** Zod schemas of questions, answers and proposals; the decision class of an answer. */
export { questionSchema } from './question-schemas.ts';
/** Human review: feedback, override (GDPR Art. 22), audit records. */
/** Apply feedback, override a decision, build audit records. */
/** Router types. */
/** Rank candidates, choose the first agents, cascade; the lead role per question type. */

/** What the router learns (Beta counts per combination), and where it lives (port). */
export type { RouterStats } from './router-stats.ts';

/** Learned stats: empty, parse stored, record a reward, posterior, in-memory store. */
/** Output-guard findings. */
/** Untrusted-data defences. */
/** The council skills' input. */

/** Conversion rates learned across business units (empirical-Bayes pooling) and the calls they lead to. */
export { learnedCall, learnRates, ruleCall } from './learned-rates.ts';
/** Register the offline skills of the roles on the model port; run one directly. */
export { registerCouncilSkills } from './skills.ts';
/** Tool gateway: scope, allow-list, recording. */
/** Create the per-decision gateway; strip tenant keys from arguments. */

/** The tools port and its data. */
export type {
  ConversationSlots,
  ConversationSnapshot,
  CouncilTools,
  LeadSnapshot,
  LearnedConversions,
  PerformanceMetrics,
  ScoreSnapshot,
  Segment,
  SegmentCounts,
  ToolScope,
  WorkflowSummary,
} from './tools-port.ts';
/** Argument and result schemas of the tools, and the data schemas. */
export { conversationSnapshotSchema } from './tools-port.ts';
/** Closed vocabularies. */
export type {
  Channel,
  Source,
} from './vocabulary.ts';
/** The vocabularies as lists. */
export { NEXT_ACTIONS } from './vocabulary.ts';
/** Wilson score interval. */
