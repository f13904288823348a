import type { AuditLog } from '../compliance/index.ts';
import { type Actor, type Clock, type FieldIssue, LeadloopError } from '../core/index.ts';
import type { JobContext } from '../queue/index.ts';
import type { Db, Store } from '../store/index.ts';
import { mergeAgents } from './agent-catalog.ts';
import type { Agent } from './agent-schema.ts';
import { BUILT_IN_AGENTS } from './builtin-agents.ts';
import type { Council } from './council.ts';
import {
  type CouncilTenant,
  type DecisionStatus,
  type DecisionTrigger,
  decisionIdOfJob,
  findDecision,
  insertDecision,
  leadOfDecision,
  listDecisions,
  putAgentOverride,
  readRouterStats,
  type StoredDecision,
  type StoredOverride,
  updateDecisionReview,
  updateRouterStats,
} from './council-store.ts';
import type { AgentRunRecord, CouncilDecision } from './decision-record.ts';
import { hashValue } from './hashing.ts';
import type { Answer } from './question-schemas.ts';
import { applyFeedback, type DecisionReview, decisionAuditRecord, overrideDecision } from './review.ts';
import { comboKey, posterior, type RouterStats, recordReward } from './router-stats.ts';

/**
 * The council as the application runs it: asks questions, stores every decision with its audit
 * entry in one transaction, takes feedback (which teaches the router, persisted per workspace),
 * records human overrides (GDPR Art. 22) and answers the pipeline's `council.next_action` jobs.
 */

/** A stored decision as the API shows it: the council's record plus its review. */
interface DecisionView extends CouncilDecision {
  leadId: string | null;
  trigger: DecisionTrigger;
  requestedBy: string;
  /** What is in force now: a person's override, else an edited answer, else the council's. */
  inForce: { source: 'council' | 'edit' | 'override'; decisionClass: string; output: Answer };
  review: {
    status: DecisionStatus;
    feedback: DecisionReview | null;
    overrides: StoredOverride[];
    /** Whether a person can override it (decisions about a lead), and how. */
    humanReview: string;
    /** The review in plain language. */
    summary: string;
  };
}

/** Feedback's answer: the decision and what the router now believes about the agents consulted. */
interface FeedbackResult {
  decision: DecisionView;
  router: { combination: string; mean: number; observations: number };
}

export interface CouncilService {
  /** Built-ins merged with the workspace's overrides. */
  listAgents(tenant: CouncilTenant): Promise<readonly Agent[]>;
  /** Adds an agent or overrides a built-in one (a patch), validated and audited. */
  putAgent(
    tenant: CouncilTenant,
    agentId: string,
    input: Record<string, unknown>,
    actor: Actor,
  ): Promise<{ agent: Agent; created: boolean }>;
  /** Asks, stores and audits. Throws `validation_failed`, `not_found`, `rate_limited`, `unavailable`. */
  ask(
    tenant: CouncilTenant,
    question: unknown,
    options: { actor: Actor; signal?: AbortSignal },
  ): Promise<DecisionView>;
  decision(tenant: CouncilTenant, id: string): Promise<DecisionView>;
  decisions(
    tenant: CouncilTenant,
    query: { leadId?: string | undefined; limit: number },
  ): Promise<DecisionView[]>;
  /**
   * A lead's conversion outcome teaches the router which agent combination paid off: the lead's
   * newest `lead.next_action` decision is rewarded (converted) or not. Returns its id, if any.
   */
  learnFromOutcome(tenant: CouncilTenant, leadId: string, converted: boolean): Promise<string | null>;
  /** Accept, reject or edit; once per decision. */
  feedback(
    tenant: CouncilTenant,
    id: string,
    input: Record<string, unknown>,
    actor: Actor,
  ): Promise<FeedbackResult>;
  /** A person replaces the answer for a lead, with a reason (GDPR Art. 22(3)). */
  override(
    tenant: CouncilTenant,
    id: string,
    input: Record<string, unknown>,
    actor: Actor,
  ): Promise<DecisionView>;
  routerStats(tenant: CouncilTenant): Promise<RouterStats>;
  /** The `council.next_action` job handler: idempotent per job. */
  nextActionJob(job: JobContext<'council.next_action'>): Promise<void>;
}

export interface CouncilServiceOptions {
  store: Store;
  council: Council;
  audit: AuditLog;
  clock: Clock;
  /** The council budget's window, for `Retry-After` when it is used up. Default one day. */
  budgetWindowMs?: number;
  /**
   * Told of every stored decision about a lead inside the transaction that stores it (workflows
   * start `council.decided` runs there, so a run starts if and only if the decision committed).
   */
  onDecided?: DecisionReaction;
  /**
   * Told of every stored decision's model spend inside the transaction that stores it (main turns
   * it into a `council.decided` domain event, which the analytics rollups count as model spend).
   */
  onSpent?: SpendReaction;
}

type SpendReaction = (
  db: Db,
  workspaceId: string,
  spend: {
    decisionId: string;
    questionType: string;
    calls: number;
    failedCalls: number;
    latencyMs: number;
    tokens: number;
    offline: boolean;
    /** Tokens per answering model (`provider`, `model`), prompt and answer apart: what prices apply to. */
    byModel: { provider: string; model: string; inputTokens: number; outputTokens: number }[];
  },
) => Promise<void>;

type DecisionReaction = (
  db: Db,
  workspaceId: string,
  decision: { decisionId: string; leadId: string; decisionClass: string; confidence: number },
) => Promise<void>;

const PIPELINE: Actor = { type: 'worker', id: 'council.next_action' };

const actorRef = (actor: Actor) => `${actor.type}:${actor.id}`;

function invalid(message: string, issues: FieldIssue[]): LeadloopError {
  return new LeadloopError('validation_failed', message, { issues });
}

function decisionNotFound(id: string): LeadloopError {
  return new LeadloopError('not_found', `decision ${id} not found in this workspace`, {
    issues: [{ field: 'path.id', reason: 'no such decision in this workspace' }],
  });
}

const STATUS_OF_VERDICT: Record<DecisionReview['verdict'], DecisionStatus> = {
  accept: 'accepted',
  reject: 'rejected',
  edit: 'edited',
};

function toView(stored: StoredDecision): DecisionView {
  const { decision, review, overrides } = stored;
  const latest = overrides.at(-1) ?? null;
  const inForce: DecisionView['inForce'] = latest
    ? { source: 'override', decisionClass: latest.decisionClass, output: latest.output }
    : review?.verdict === 'edit' && review.output
      ? { source: 'edit', decisionClass: decision.decisionClass, output: review.output }
      : { source: 'council', decisionClass: decision.decisionClass, output: decision.output };
  const aboutLead = stored.leadId !== null;
  const parts: string[] = [];
  if (review) parts.push(`Feedback: ${review.verdict} (${review.at}).`);
  if (latest)
    parts.push(
      `A person overrode the council on ${latest.at}: ${latest.previous.decisionClass} became ${latest.decisionClass} (reason given: "${latest.reason}"); ${latest.basis}.`,
    );
  if (parts.length === 0) parts.push('Not reviewed yet; the council’s answer stands.');
  return {
    ...decision,
    leadId: stored.leadId,
    trigger: stored.trigger,
    requestedBy: stored.requestedBy,
    inForce,
    review: {
      status: stored.status,
      feedback: review,
      overrides,
      humanReview: aboutLead
        ? `This decision affects a lead: a person can review and replace it (POST /v1/council/decisions/${decision.id}/override, GDPR Art. 22(3)).`
        : 'Advice about a segment or the workspace, not a decision about a person; feedback still teaches the router.',
      summary: parts.join(' '),
    },
  };
}

/** Creates the council service. */
export function createCouncilService(options: CouncilServiceOptions): CouncilService {
  const { store, council, audit, clock } = options;
  const windowMs = options.budgetWindowMs ?? 86_400_000;

  function askError(error: LeadloopError, question: unknown): LeadloopError {
    if (error.code === 'rate_limited') {
      const now = clock.now();
      const reset = Math.floor(now / windowMs) * windowMs + windowMs;
      return new LeadloopError('rate_limited', error.message, {
        cause: error,
        retryable: true,
        retryAfterSeconds: Math.max(1, Math.ceil((reset - now) / 1000)),
      });
    }
    if (error.code === 'not_found' && error.issues.length === 0) {
      const field = typeof question === 'object' && question !== null && 'leadId' in question ? 'leadId' : '';
      return new LeadloopError('not_found', error.message, {
        cause: error,
        issues: [{ field: field ? `body.${field}` : 'body', reason: 'no such lead in this workspace' }],
      });
    }
    return error;
  }

  async function askAndStore(
    tenant: CouncilTenant,
    question: unknown,
    context: {
      trigger: DecisionTrigger;
      jobId: string | null;
      actor: Actor;
      signal?: AbortSignal;
      offline?: boolean;
    },
  ): Promise<StoredDecision> {
    const pipeline = context.trigger === 'pipeline';
    const asked = clock.now();
    const result = await council.ask(question, {
      workspaceId: tenant.workspaceId,
      purpose: pipeline ? 'pipeline' : 'api',
      ...(context.offline ? { offline: true } : {}),
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
    // The budget ran out between the check and the calls: the pipeline still gets its decision.
    if (!result.ok && pipeline && !context.offline && result.error.code === 'rate_limited')
      return askAndStore(tenant, question, { ...context, offline: true });
    if (!result.ok) throw askError(result.error, question);
    const decision = result.value;
    // The decision's wall time (its model calls, with the tool reads between them): the optimiser's
    // model-latency detector watches it.
    const latencyMs = Math.max(0, clock.now() - asked);
    const requestedBy = actorRef(context.actor);
    return store.transaction(async (trx) => {
      const now = clock.now();
      const inserted = await insertDecision(
        trx,
        tenant,
        { decision, trigger: context.trigger, jobId: context.jobId, requestedBy },
        now,
      );
      const leadId = leadOfDecision(decision);
      if (inserted && leadId && options.onDecided)
        await options.onDecided(trx, tenant.workspaceId, {
          decisionId: decision.id,
          leadId,
          decisionClass: decision.decisionClass,
          confidence: decision.confidence,
        });
      // Read before the appends: they take the workspace's turn, which its other writers wait for
      // until this transaction ends (store/event-turn.ts).
      const id = inserted
        ? decision.id
        : context.jobId && (await decisionIdOfJob(trx, tenant, context.jobId));
      const stored = id ? await findDecision(trx, tenant, id) : null;
      if (!stored) throw new LeadloopError('internal', `decision ${decision.id} was not stored`);
      if (inserted) {
        const record = decisionAuditRecord(decision);
        await audit.append(trx, tenant.workspaceId, {
          ...record,
          data: { ...record.data, trigger: context.trigger, requestedBy },
        });
      }
      // After the audit entry: the pipeline and outcome transactions lock the audit chain before the
      // domain-event log, so this one must too, or two of them can wait on each other (a deadlock).
      if (inserted && options.onSpent)
        await options.onSpent(trx, tenant.workspaceId, {
          decisionId: decision.id,
          questionType: decision.question.type,
          calls: decision.cost.calls,
          // Calls that failed: answered by the offline model instead, or by no one.
          failedCalls: decision.model.fallbackCalls + decision.routing.failures.length,
          latencyMs,
          tokens: decision.cost.tokens,
          offline: context.offline === true,
          byModel: tokensByModel(decision.runs),
        });
      return stored;
    });
  }

  async function mustFind(tenant: CouncilTenant, id: string): Promise<StoredDecision> {
    const stored = await findDecision(store.db, tenant, id);
    if (!stored) throw decisionNotFound(id);
    return stored;
  }

  return {
    listAgents: (tenant) => council.listAgents(tenant.workspaceId),

    async putAgent(tenant, agentId, input, actor) {
      if (input.id !== undefined && input.id !== agentId)
        throw invalid('the agent id in the body differs from the path', [
          { field: 'body.id', reason: `must be "${agentId}" (the id in the path) or left out` },
        ]);
      const definition = { ...input, id: agentId };
      const isBuiltIn = BUILT_IN_AGENTS.some((agent) => agent.id === agentId);
      // Validated against the built-ins alone: each stored override is a patch of one agent (or a
      // whole added agent), so this is also how it will merge whenever the directory is read.
      const checked = mergeAgents([definition]);
      const agent = checked.ok ? checked.value.find((candidate) => candidate.id === agentId) : undefined;
      if (!checked.ok || !agent) {
        const issues = checked.ok ? [] : checked.error;
        throw invalid(
          isBuiltIn
            ? `the override of ${agentId} is not valid`
            : `agent ${agentId} is not complete or not valid`,
          issues.map((issue) => ({ ...issue, field: issue.field.replace(/^overrides\.0/, 'body') })),
        );
      }
      const created = await store.transaction(async (trx) => {
        const now = clock.now();
        const first = await putAgentOverride(trx, tenant, agentId, definition, now);
        await audit.append(trx, tenant.workspaceId, {
          actor,
          action: 'council.agent.put',
          subject: agentId,
          reason: `${first ? 'stored' : 'replaced'} the workspace's ${isBuiltIn ? 'override of built-in agent' : 'agent'} ${agentId}`,
          data: {
            agentId,
            builtIn: isBuiltIn,
            fields: Object.keys(input).sort(),
            definitionHash: hashValue(definition),
          },
        });
        return first;
      });
      return { agent, created };
    },

    async ask(tenant, question, { actor, signal }) {
      const stored = await askAndStore(tenant, question, {
        trigger: 'api',
        jobId: null,
        actor,
        ...(signal === undefined ? {} : { signal }),
      });
      return toView(stored);
    },

    async decision(tenant, id) {
      return toView(await mustFind(tenant, id));
    },

    async decisions(tenant, query) {
      return (await listDecisions(store.db, tenant, query)).map(toView);
    },

    async learnFromOutcome(tenant, leadId, converted) {
      const latest = (await listDecisions(store.db, tenant, { leadId, limit: 20 }))
        .map(toView)
        .find((d) => d.question.type === 'lead.next_action');
      if (!latest) return null;
      await council.recordOutcome(latest, { converted });
      return latest.id;
    },

    async feedback(tenant, id, input, actor) {
      return store.transaction(async (trx) => {
        const stored = await findDecision(trx, tenant, id, { lock: store.dialect === 'postgres' });
        if (!stored) throw decisionNotFound(id);
        if (stored.review)
          throw new LeadloopError(
            'conflict',
            `decision ${id} already has feedback (${stored.review.verdict})`,
            {
              issues: [{ field: 'path.id', reason: 'feedback is given once per decision' }],
            },
          );
        const review = applyFeedback(stored.decision, { ...input, by: actor.id.slice(0, 100) }, clock);
        if (!review.ok) throw invalid('the feedback is not valid', review.error);
        const { decision } = stored;
        const agentIds = decision.agents.map((agent) => agent.id);
        const now = clock.now();
        const stats = await updateRouterStats(
          trx,
          store.dialect,
          tenant,
          (current) => recordReward(current, decision.question.type, agentIds, review.value.reward),
          now,
        );
        const status = stored.overrides.length > 0 ? 'overridden' : STATUS_OF_VERDICT[review.value.verdict];
        await updateDecisionReview(trx, tenant, id, { status, review: review.value }, now);
        await audit.append(trx, tenant.workspaceId, {
          actor,
          action: 'council.decision.feedback',
          subject: decisionAuditRecord(decision).subject,
          reason: `${review.value.verdict} of ${decision.question.type} ${decision.decisionClass} (reward ${review.value.reward})`,
          data: {
            decisionId: id,
            verdict: review.value.verdict,
            reward: review.value.reward,
            agents: agentIds,
            editedOutputHash: review.value.output ? hashValue(review.value.output) : null,
          },
        });
        const combination = comboKey(decision.question.type, agentIds);
        const belief = posterior(stats.combos[combination]);
        return {
          decision: toView({ ...stored, status, review: review.value, updatedAt: now }),
          router: { combination, mean: Math.round(belief.mean * 1000) / 1000, observations: belief.n },
        };
      });
    },

    async override(tenant, id, input, actor) {
      return store.transaction(async (trx) => {
        const stored = await findDecision(trx, tenant, id, { lock: store.dialect === 'postgres' });
        if (!stored) throw decisionNotFound(id);
        const result = overrideDecision(
          stored.decision,
          { ...input, by: actor.id.slice(0, 100) },
          { clock, actor },
        );
        if (!result.ok) {
          if (result.error.some((issue) => issue.field === 'decision'))
            throw new LeadloopError(
              'conflict',
              `decision ${id} is not about a lead; there is nothing to override`,
              {
                issues: result.error,
              },
            );
          throw invalid('the override is not valid', result.error);
        }
        const { audit: record, ...override } = result.value;
        const overrides = [...stored.overrides, override];
        const now = clock.now();
        await updateDecisionReview(trx, tenant, id, { status: 'overridden', overrides }, now);
        await audit.append(trx, tenant.workspaceId, record);
        return toView({ ...stored, status: 'overridden', overrides, updatedAt: now });
      });
    },

    routerStats: (tenant) => readRouterStats(store.db, tenant),

    async nextActionJob(job) {
      const tenant: CouncilTenant = { workspaceId: job.workspaceId };
      if (await decisionIdOfJob(store.db, tenant, job.id)) return;
      // With the day's budget used up (API questions cannot spend the pipeline's reserved share),
      // the offline model decides, and the decision says so: a qualified lead is never left
      // without a next action, and no model call is spent.
      const budget = await council.canCallModels(job.workspaceId, 'pipeline');
      try {
        await askAndStore(
          tenant,
          { type: 'lead.next_action', leadId: job.payload.leadId },
          { trigger: 'pipeline', jobId: job.id, actor: PIPELINE, signal: job.signal, offline: !budget.ok },
        );
      } catch (error) {
        if (!(error instanceof LeadloopError)) throw error;
        // The lead was erased since it qualified: nothing to decide.
        if (error.code === 'not_found') return;
        // Retrying within seconds cannot help when the day's budget is used up: dead-letter it,
        // so it shows in GET /v1/jobs/dead and can be replayed.
        if (error.code === 'rate_limited')
          throw new LeadloopError('rate_limited', error.message, { cause: error, retryable: false });
        throw error;
      }
    },
  };
}

/**
 * A decision's tokens per answering model. A run recorded without its prompt's share counts all
 * its tokens as prompt tokens (the cheaper rate: spend is never overstated).
 */
function tokensByModel(
  runs: readonly AgentRunRecord[],
): { provider: string; model: string; inputTokens: number; outputTokens: number }[] {
  const out = new Map<
    string,
    { provider: string; model: string; inputTokens: number; outputTokens: number }
  >();
  for (const run of runs) {
    const key = `${run.model.provider}:${run.model.model}`;
    const entry = out.get(key) ?? {
      provider: run.model.provider,
      model: run.model.model,
      inputTokens: 0,
      outputTokens: 0,
    };
    const input = Math.min(run.tokens, run.inputTokens ?? run.tokens);
    entry.inputTokens += input;
    entry.outputTokens += run.tokens - input;
    out.set(key, entry);
  }
  return [...out.values()];
}
