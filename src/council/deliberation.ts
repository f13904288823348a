import { LeadloopError } from '../core/index.ts';
import { estimateTokens, type ModelClient } from '../models/index.ts';
import { type Agent, agentTask } from './agent-schema.ts';
import type { QuestionContext } from './applies-when.ts';
import type { CouncilBudget, CouncilBudgetPurpose } from './budget.ts';
import type { AgentRunRecord } from './decision-record.ts';
import type { Available } from './knowledge.ts';
import { buildPrompt, type PeerView } from './prompts.ts';
import { decisionClass, type Proposal, proposalSchema, type Question } from './question-schemas.ts';
import { type Candidate, type Choice, cascadeChoice, initialChoice, type RouterOptions } from './router.ts';
import type { RouterStats } from './router-stats.ts';
import type { SkillData } from './skills.ts';
import type { ToolGateway } from './tool-gateway.ts';
import type { Segment } from './tools-port.ts';
import type { Factor, ToolName } from './vocabulary.ts';

/**
 * Deliberation: structured steps over the model port. Each agent gets its inputs through the tool
 * gateway (only its allowed tools, only the question's workspace) and proposes independently; an
 * optional critique round shows each member the others' proposals; the synthesis is code.
 */

/** What every step needs. */
export interface DeliberationDeps {
  models: ModelClient;
  gateway: ToolGateway;
  budget: CouncilBudget | undefined;
  /** Whose share of the budget the calls spend. */
  purpose: CouncilBudgetPurpose;
  workspaceId: string;
  question: Question;
  asOf: string;
  available: Available;
  /** The lead's own segment (industry, region, source), for its conversion statistics. */
  leadSegment: Segment | null;
  maxOutputTokens: number;
  signal: AbortSignal | undefined;
}

/** The outcome of consulting one agent. */
type ConsultResult =
  | { ok: true; run: AgentRunRecord }
  | { ok: false; reason: 'budget' | 'failed'; message: string };

/** The tool calls an agent's inputs mean for this question: arguments come from the question only. */
function planInputs(question: Question, leadSegment: Segment | null, inputs: readonly ToolName[]) {
  const plan: Array<{ tool: ToolName; args: Record<string, unknown> }> = [];
  const wants = new Set(inputs);
  const add = (tool: ToolName, args: Record<string, unknown>) => {
    if (wants.has(tool)) plan.push({ tool, args });
  };
  switch (question.type) {
    case 'lead.next_action':
    case 'lead.research':
      add('getLead', { leadId: question.leadId });
      add('getLeadHistory', { leadId: question.leadId, limit: 20 });
      add('getConversation', { leadId: question.leadId });
      add('getScore', { leadId: question.leadId });
      if (question.type === 'lead.next_action' && leadSegment)
        add('getSegmentStats', { segment: leadSegment });
      break;
    case 'segment.strategy':
      add('getSegmentStats', { segment: question.segment });
      break;
    case 'performance.review':
      add('getPerformanceMetrics', { windowDays: question.windowDays });
      add('listWorkflows', {});
      break;
    default:
      break;
  }
  return plan;
}

async function gatherFacts(deps: DeliberationDeps, agent: Agent): Promise<Record<string, unknown>> {
  const tools = deps.gateway.forCaller({ id: agent.id, tools: agent.tools });
  const facts: Record<string, unknown> = {};
  for (const { tool, args } of planInputs(deps.question, deps.leadSegment, agent.inputs)) {
    const result = await tools.call(tool, args);
    facts[tool] = result.ok ? result.value : null;
  }
  return facts;
}

/** Consults one agent: inputs, prompt, budget, model call, validated proposal. */
async function consult(
  deps: DeliberationDeps,
  agent: Agent,
  options: { round: 'proposal' | 'critique'; peers?: readonly AgentRunRecord[]; sample?: number } = {
    round: 'proposal',
  },
): Promise<ConsultResult> {
  const facts = await gatherFacts(deps, agent);
  const peers = (options.peers ?? []).filter((run) => run.agentId !== agent.id);
  const views: PeerView[] = peers.map((run) => ({
    agentId: run.agentId,
    decisionClass: run.decisionClass,
    basis: run.proposal.basis,
    confidence: run.proposal.confidence,
    rules: run.proposal.rules.map((rule) => rule.text),
  }));
  const stage = options.round === 'critique' ? 'critique' : 'propose';
  const prompt = buildPrompt({
    agent,
    question: deps.question,
    asOf: deps.asOf,
    available: deps.available,
    facts,
    stage,
    peers: views,
    ...(options.sample === undefined ? {} : { sample: options.sample }),
  });
  const skillInput: SkillData = {
    stage,
    agent: { id: agent.id, role: agent.role, specialty: agent.specialty },
    question: deps.question as unknown as Record<string, unknown>,
    asOf: deps.asOf,
    available: deps.available,
    facts,
    peers: peers.map((run) => ({
      agentId: run.agentId,
      decisionClass: run.decisionClass,
      basis: run.proposal.basis,
      confidence: run.proposal.confidence,
      missing:
        deps.question.type === 'lead.next_action' && 'missingInfo' in run.proposal.answer
          ? run.proposal.answer.missingInfo
          : [],
    })),
  };
  const estimate = estimateTokens(`${prompt.system}\n${prompt.prompt}`) + deps.maxOutputTokens;
  const reservation = deps.budget
    ? await deps.budget.reserve(deps.workspaceId, { calls: 1, tokens: estimate }, deps.purpose)
    : null;
  if (reservation && !reservation.ok) {
    return {
      ok: false,
      reason: 'budget',
      message: `council budget exhausted (${reservation.used.calls} calls used)`,
    };
  }
  let used = { calls: 1, tokens: 0 };
  try {
    const result = await deps.models.generateObject({
      workspaceId: deps.workspaceId,
      task: agentTask(agent),
      schema: proposalSchema(deps.question.type),
      schemaName: 'council_proposal',
      system: prompt.system,
      prompt: prompt.prompt,
      skillInput: skillInput as Record<string, unknown>,
      maxOutputTokens: deps.maxOutputTokens,
      ...(options.sample === undefined ? {} : { temperature: 0.7 }),
      ...(deps.signal === undefined ? {} : { signal: deps.signal }),
    });
    const proposal = result.object as Proposal;
    used = { calls: 1, tokens: result.usage.inputTokens + result.usage.outputTokens };
    return {
      ok: true,
      run: {
        agentId: agent.id,
        round: options.round,
        task: agentTask(agent),
        promptHash: prompt.hash,
        decisionClass: decisionClass(deps.question.type, proposal.answer),
        proposal,
        model: {
          provider: result.provider,
          model: result.model,
          fallback: result.fallback
            ? { from: result.fallback.from, reason: result.fallback.reason, message: result.fallback.message }
            : null,
        },
        tokens: used.tokens,
        inputTokens: result.usage.inputTokens,
        sample: options.sample ?? null,
      },
    };
  } catch (error) {
    if (deps.signal?.aborted) throw error;
    if (error instanceof LeadloopError && error.code === 'rate_limited') {
      used = { calls: 0, tokens: 0 };
      return { ok: false, reason: 'budget', message: error.message };
    }
    return {
      ok: false,
      reason: 'failed',
      message: error instanceof Error ? error.message.slice(0, 300) : 'failed',
    };
  } finally {
    if (reservation?.ok && deps.budget) await deps.budget.settle(reservation.grant, used);
  }
}

/** What a strategy produced. */
export interface DeliberationResult {
  runs: AgentRunRecord[];
  choices: Choice[];
  unanswered: Factor[];
  critique: boolean;
  budgetLimited: boolean;
  failures: Array<{ agentId: string; message: string }>;
}

async function consultAll(
  deps: DeliberationDeps,
  agents: readonly Agent[],
  result: DeliberationResult,
  options: { round: 'proposal' | 'critique'; peers?: readonly AgentRunRecord[]; sample?: number },
): Promise<AgentRunRecord[]> {
  const outcomes = await Promise.all(agents.map((agent) => consult(deps, agent, options)));
  const runs: AgentRunRecord[] = [];
  outcomes.forEach((outcome, index) => {
    const agent = agents[index];
    if (outcome.ok) runs.push(outcome.run);
    else if (outcome.reason === 'budget') result.budgetLimited = true;
    else if (agent) result.failures.push({ agentId: agent.id, message: outcome.message });
  });
  result.runs.push(...runs);
  return runs;
}

const disagree = (runs: readonly AgentRunRecord[]) => new Set(runs.map((run) => run.decisionClass)).size > 1;

/** Merge-type questions (reviews) are not voted on, so they have no critique round. */
const votes = (question: Question) => question.type !== 'performance.review';

/**
 * The router's cascade: the first agent alone; agents for the factors it could not assess (and
 * theirs, up to `maxAgents`); if the answers differ, the first agent — which owns the question's
 * last rules, such as consent — critiques once with everyone's proposals in view.
 */
export async function runCascade(
  deps: DeliberationDeps,
  ctx: QuestionContext,
  candidates: readonly Candidate[],
  stats: RouterStats,
  options: RouterOptions & { maxAgents: number },
): Promise<DeliberationResult> {
  const result: DeliberationResult = {
    runs: [],
    choices: [],
    unanswered: [],
    critique: false,
    budgetLimited: false,
    failures: [],
  };
  let wave = initialChoice(candidates, ctx, stats, options);
  const consulted = new Set<string>();
  while (wave.length > 0 && consulted.size < options.maxAgents) {
    wave = wave.slice(0, options.maxAgents - consulted.size);
    for (const choice of wave) consulted.add(choice.agent.id);
    result.choices.push(...wave);
    const runs = await consultAll(
      deps,
      wave.map((choice) => choice.agent),
      result,
      { round: 'proposal' },
    );
    if (result.budgetLimited) break;
    const open = runs.flatMap((run) => {
      const askedBy = candidates.find((c) => c.agent.id === run.agentId)?.agent;
      return askedBy ? run.proposal.openQuestions.map((factor) => ({ factor, askedBy })) : [];
    });
    const next = cascadeChoice(candidates, consulted, open);
    for (const factor of next.unanswered)
      if (!result.unanswered.includes(factor)) result.unanswered.push(factor);
    wave = next.choices;
  }
  const first = result.choices[0]?.agent;
  if (first && votes(deps.question) && disagree(result.runs) && !result.budgetLimited) {
    result.critique = true;
    await consultAll(deps, [first], result, { round: 'critique', peers: result.runs });
  }
  return result;
}

/** The full council: every applicable agent proposes, then every one critiques. */
export async function runFull(
  deps: DeliberationDeps,
  candidates: readonly Candidate[],
): Promise<DeliberationResult> {
  const result: DeliberationResult = {
    runs: [],
    choices: candidates.map((c) => ({
      agent: c.agent,
      why: `full council: ${c.agent.name} applies${c.reasons.length > 0 ? ` (${c.reasons.join(', ')})` : ''}.`,
      stage: 'initial',
    })),
    unanswered: [],
    critique: votes(deps.question),
    budgetLimited: false,
    failures: [],
  };
  const agents = candidates.map((c) => c.agent);
  const proposals = await consultAll(deps, agents, result, { round: 'proposal' });
  if (result.critique && !result.budgetLimited) {
    const critics = agents.filter((agent) => proposals.some((run) => run.agentId === agent.id));
    await consultAll(deps, critics, result, { round: 'critique', peers: proposals });
  }
  return result;
}

/** One generalist of the question's lead role, consulted once (or `samples` times for self-consistency). */
export async function runGeneralist(
  deps: DeliberationDeps,
  candidates: readonly Candidate[],
  leadRole: Agent['role'],
  samples = 0,
): Promise<DeliberationResult> {
  const generalist =
    candidates.find((c) => c.agent.role === leadRole && c.agent.specialty.kind === 'general') ??
    candidates.at(-1);
  const result: DeliberationResult = {
    runs: [],
    choices: generalist
      ? [
          {
            agent: generalist.agent,
            why:
              samples > 0
                ? `self-consistency baseline: ${generalist.agent.name}, ${samples} samples.`
                : `generalist baseline: ${generalist.agent.name} alone.`,
            stage: 'initial',
          },
        ]
      : [],
    unanswered: [],
    critique: false,
    budgetLimited: false,
    failures: [],
  };
  if (!generalist) return result;
  if (samples === 0) {
    await consultAll(deps, [generalist.agent], result, { round: 'proposal' });
    return result;
  }
  for (let sample = 0; sample < samples && !result.budgetLimited; sample++) {
    await consultAll(deps, [generalist.agent], result, { round: 'proposal', sample });
  }
  return result;
}
