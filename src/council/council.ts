import {
  assertNever,
  type Clock,
  err,
  type FieldIssue,
  LeadloopError,
  ok,
  type Result,
  toFieldIssues,
} from '../core/index.ts';
import type { ModelClient } from '../models/index.ts';
import { type AgentDirectory, createStaticAgentDirectory } from './agent-catalog.ts';
import type { Agent } from './agent-schema.ts';
import type { CouncilBudget, CouncilBudgetPurpose } from './budget.ts';
import { type DecisionCache, decisionCacheKey } from './cache.ts';
import { alignWithChat } from './chat-alignment.ts';
import type { CouncilDecision, CouncilStrategy } from './decision-record.ts';
import {
  type DeliberationDeps,
  type DeliberationResult,
  runCascade,
  runFull,
  runGeneralist,
} from './deliberation.ts';
import { explain } from './explanation.ts';
import { hashImmutableList } from './hashing.ts';
import { availableOf } from './knowledge.ts';
import { guardRecord } from './output-guard.ts';
import { readContext } from './question-context.ts';
import { type NextActionAnswer, questionSchema } from './question-schemas.ts';
import { applyFeedback, type DecisionReview } from './review.ts';
import { LEAD_ROLE, type RouterOptions, rankCandidates } from './router.ts';
import {
  createInMemoryRouterStatsStore,
  type RouterStats,
  type RouterStatsStore,
  recordReward,
} from './router-stats.ts';
import { promptFragments } from './safety.ts';
import { majorityVote, synthesize } from './synthesis.ts';
import { createToolGateway } from './tool-gateway.ts';
import type { CouncilTools } from './tools-port.ts';

/** Everything {@link createCouncil} takes. */
export interface CouncilOptions {
  /** The model port (its skill registry must have the council skills: {@link registerCouncilSkills}). */
  models: ModelClient;
  /** The read-only tools, implemented by the lead over the database. */
  tools: CouncilTools;
  /** The workspace's agents; default: the built-ins for every workspace. */
  agents?: AgentDirectory;
  /** Per-workspace budget of model calls and tokens; default: unlimited. */
  budget?: CouncilBudget;
  /**
   * The offline model, for pipeline decisions once the budget is used up (`AskOptions.offline`):
   * they still get a decision, said to be the offline model's, instead of a dead letter.
   */
  offlineModels?: ModelClient;
  /** Reuse of decisions for identical contexts; default: none. */
  cache?: DecisionCache;
  /** How long a cached decision is reused. Default 15 minutes. */
  cacheTtlMs?: number;
  /** What the router learned; default: in memory. */
  stats?: RouterStatsStore;
  clock: Clock;
  /** Decision ids. */
  ids: () => string;
  /** Milliseconds for tool-call durations. Default `performance.now`. */
  timer?: () => number;
  /** Default strategy: the router's cascade. */
  strategy?: CouncilStrategy;
  /** Most agents the cascade consults. Default 4. */
  maxAgents?: number;
  /** Output allowance per model call. Default 1,200 tokens. */
  maxOutputTokens?: number;
  router?: RouterOptions;
}

/** Per-question options. */
interface AskOptions {
  workspaceId: string;
  signal?: AbortSignal;
  strategy?: CouncilStrategy;
  /** Default true when a cache is configured. */
  useCache?: boolean;
  /** Whose share of the budget this question spends; default `api`. */
  purpose?: CouncilBudgetPurpose;
  /** Decide with the offline model and no budget (the pipeline, once its budget is used up). */
  offline?: boolean;
}

/** The council. */
export interface Council {
  /**
   * Answers a question (`{ type, leadId?, segment?, windowDays? }`) with an audited decision.
   * Expected failures are values: `validation_failed` (bad question), `not_found` (no such lead in
   * the workspace), `rate_limited` (council budget), `unavailable` (no agent applies or answers).
   * It rejects only when `signal` is aborted (with the signal's reason).
   */
  ask(question: unknown, options: AskOptions): Promise<Result<CouncilDecision, LeadloopError>>;
  /** The workspace's agents (built-ins merged with its overrides), for `GET /v1/council/agents`. */
  listAgents(workspaceId: string): Promise<readonly Agent[]>;
  /** Validates feedback, returns the review to store, and lets the router learn from it. */
  recordFeedback(decision: CouncilDecision, feedback: unknown): Promise<Result<DecisionReview, FieldIssue[]>>;
  /** Lets the router learn from an outcome (the lead converted or not). */
  recordOutcome(decision: CouncilDecision, outcome: { converted: boolean }): Promise<void>;
  /** What the router learned in a workspace (serialisable). */
  routerStats(workspaceId: string): Promise<RouterStats>;
  /**
   * Whether the workspace's budget still allows a model call (always, without a budget). A cached
   * answer costs nothing, so `ask` can still answer when this is false; a caller that would only
   * queue fresh work (the pipeline's reaction) checks it first instead of gathering context for
   * nothing.
   */
  canCallModels(
    workspaceId: string,
    purpose?: CouncilBudgetPurpose,
  ): Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
}

/**
 * Creates the council.
 *
 * @example
 * const skills = createSkillRegistry();
 * registerCouncilSkills(skills);
 * const models = createModelClient({ model: config.model, skills });
 * const council = createCouncil({ models, tools: dbTools, clock: systemClock, ids: () => ids.next('req') });
 * const decision = await council.ask({ type: 'lead.next_action', leadId }, { workspaceId });
 */
export function createCouncil(options: CouncilOptions): Council {
  const directory = options.agents ?? createStaticAgentDirectory();
  const statsStore = options.stats ?? createInMemoryRouterStatsStore();
  const defaultStrategy: CouncilStrategy = options.strategy ?? { kind: 'cascade' };
  const maxAgents = options.maxAgents ?? 4;

  async function ask(
    input: unknown,
    askOptions: AskOptions,
  ): Promise<Result<CouncilDecision, LeadloopError>> {
    const parsed = questionSchema.safeParse(input);
    if (!parsed.success) {
      return err(
        new LeadloopError('validation_failed', 'the question is not valid', {
          issues: toFieldIssues(parsed.error, 'body'),
        }),
      );
    }
    const question = parsed.data;
    const { workspaceId } = askOptions;
    const strategy = askOptions.strategy ?? defaultStrategy;
    const now = options.clock.now();
    const asOf = new Date(now).toISOString().slice(0, 10);
    const agents = (await directory.list(workspaceId)).filter((agent) => agent.enabled);
    const gateway = createToolGateway({
      tools: options.tools,
      workspaceId,
      ...(askOptions.signal === undefined ? {} : { signal: askOptions.signal }),
      ...(options.timer === undefined ? {} : { timer: options.timer }),
    });
    const context = await readContext(question, gateway, workspaceId, asOf);
    if (!context.ok) return context;
    const { ctx, leadSegment, chat } = context.value;

    const key = decisionCacheKey({
      workspaceId,
      question,
      strategy,
      catalog: hashImmutableList(agents),
      factHashes: gateway.records().map((call) => call.resultHash),
      day: asOf,
    });
    if (options.cache && askOptions.useCache !== false) {
      const cached = await options.cache.get(key);
      if (cached) {
        return ok({
          ...cached,
          id: options.ids(),
          cost: { calls: 0, tokens: 0 },
          toolCalls: gateway.records(),
          cache: { hit: true, key, sourceDecisionId: cached.id },
          createdAt: new Date(now).toISOString(),
        });
      }
    }

    const stats = await statsStore.get(workspaceId);
    const candidates = rankCandidates(agents, ctx, stats);
    if (candidates.length === 0) {
      return err(
        new LeadloopError('unavailable', `no enabled agent applies to ${question.type} in this workspace`),
      );
    }
    const offline = askOptions.offline === true && options.offlineModels !== undefined;
    const models = offline ? (options.offlineModels as ModelClient) : options.models;
    const deps: DeliberationDeps = {
      models,
      gateway,
      budget: offline ? undefined : options.budget,
      purpose: askOptions.purpose ?? 'api',
      workspaceId,
      question,
      asOf,
      available: availableOf(agents),
      leadSegment,
      maxOutputTokens: options.maxOutputTokens ?? 1200,
      signal: askOptions.signal,
    };
    let result: DeliberationResult;
    switch (strategy.kind) {
      case 'cascade':
        result = await runCascade(deps, ctx, candidates, stats, { ...options.router, maxAgents });
        break;
      case 'full':
        result = await runFull(deps, candidates);
        break;
      case 'generalist':
        result = await runGeneralist(deps, candidates, LEAD_ROLE[question.type]);
        break;
      case 'self_consistency':
        result = await runGeneralist(
          deps,
          candidates,
          LEAD_ROLE[question.type],
          Math.max(1, strategy.samples),
        );
        break;
      default: {
        return assertNever(strategy, 'strategy');
      }
    }
    if (result.runs.length === 0) {
      if (result.budgetLimited) {
        return err(
          new LeadloopError('rate_limited', `workspace ${workspaceId} has used its council budget`, {
            retryable: true,
          }),
        );
      }
      const detail = result.failures.map((f) => `${f.agentId}: ${f.message}`).join('; ');
      return err(new LeadloopError('unavailable', `no agent could answer: ${detail}`, { retryable: true }));
    }

    const preferred = result.choices
      .map((choice) => choice.agent)
      .sort((a, b) => Number(b.specialty.kind === 'region') - Number(a.specialty.kind === 'region'))
      .map((agent) => agent.id);
    const synthesis =
      strategy.kind === 'self_consistency'
        ? majorityVote(question.type, result.runs)
        : synthesize(question.type, result.runs, preferred);
    const allowed = new Set([workspaceId, ...('leadId' in question ? [question.leadId] : [])]);
    const guarded = guardRecord(
      question.type,
      synthesis,
      result.runs,
      allowed,
      promptFragments(result.choices.map((choice) => choice.agent.instructions)),
    );
    const alignment =
      question.type === 'lead.next_action' ? alignWithChat(chat, guarded.output as NextActionAnswer) : null;
    const fallbacks = result.runs.filter((run) => run.model.fallback !== null);
    const firstFallback = fallbacks[0]?.model.fallback ?? null;
    const [configuredProvider = 'offline', ...configuredModel] = models.model.split(':');
    const decision: CouncilDecision = {
      id: options.ids(),
      workspaceId,
      question,
      agents: result.choices.map((choice) => ({
        id: choice.agent.id,
        role: choice.agent.role,
        why: choice.why,
        stage: choice.stage,
      })),
      output: guarded.output,
      decisionClass: synthesis.decisionClass,
      explanation: explain({
        type: question.type,
        synthesis: { ...synthesis, output: guarded.output, dissent: guarded.dissent },
        choices: result.choices,
        runs: guarded.runs,
        critique: result.critique,
        unanswered: result.unanswered,
        budgetLimited: result.budgetLimited,
        offlineForBudget: offline,
        fallbackCalls: fallbacks.length,
        fallbackReason: firstFallback?.reason ?? null,
        guardReplaced: guarded.replacedInOutput,
        chat: alignment,
      }),
      confidence: synthesis.confidence,
      dissent: guarded.dissent,
      votes: synthesis.votes,
      runs: guarded.runs,
      cost: {
        // Failed calls cost too (their tokens are in the model port's usage meter).
        calls: result.runs.length + result.failures.length,
        tokens: result.runs.reduce((sum, run) => sum + run.tokens, 0),
      },
      model: {
        provider: configuredProvider,
        model: configuredModel.join(':'),
        fallback: firstFallback,
        fallbackCalls: fallbacks.length,
      },
      promptHashes: result.runs.map((run) => run.promptHash),
      toolCalls: gateway.records(),
      routing: {
        strategy,
        candidates: candidates.map((c) => ({
          id: c.agent.id,
          specificity: c.specificity,
          score: Math.round(c.score * 100) / 100,
          reasons: c.reasons,
        })),
        unanswered: result.unanswered,
        critique: result.critique,
        budgetLimited: result.budgetLimited,
        failures: result.failures,
      },
      cache: { hit: false, key, sourceDecisionId: null },
      safety: { findings: guarded.findings, replaced: [...new Set(guarded.findings.map((f) => f.path))] },
      chat: alignment,
      createdAt: new Date(now).toISOString(),
    };
    if (
      options.cache &&
      askOptions.useCache !== false &&
      !result.budgetLimited &&
      result.failures.length === 0
    ) {
      await options.cache.set(key, decision, options.cacheTtlMs ?? 15 * 60_000);
    }
    return ok(decision);
  }

  const consultedIds = (decision: CouncilDecision) => decision.agents.map((agent) => agent.id);

  return {
    ask,
    listAgents: (workspaceId) => directory.list(workspaceId),
    async recordFeedback(decision, feedback) {
      const review = applyFeedback(decision, feedback, options.clock);
      if (!review.ok) return review;
      await statsStore.update(decision.workspaceId, (stats) =>
        recordReward(stats, decision.question.type, consultedIds(decision), review.value.reward),
      );
      return review;
    },
    async recordOutcome(decision, outcome) {
      await statsStore.update(decision.workspaceId, (stats) =>
        recordReward(stats, decision.question.type, consultedIds(decision), outcome.converted ? 1 : 0),
      );
    },
    routerStats: (workspaceId) => statsStore.get(workspaceId),
    async canCallModels(workspaceId, purpose) {
      if (!options.budget) return { ok: true };
      const left = await options.budget.remaining(workspaceId, purpose);
      return left.calls >= 1 && left.tokens >= 1
        ? { ok: true }
        : { ok: false, retryAfterMs: left.retryAfterMs };
    },
  };
}
