import { z } from 'zod';
import {
  type Actor,
  type Clock,
  err,
  type FieldIssue,
  ok,
  type Result,
  toFieldIssues,
} from '../core/index.ts';
import type { CouncilDecision } from './decision-record.ts';
import { hashValue } from './hashing.ts';
import { ANSWER_SCHEMAS, type Answer, decisionClass } from './question-schemas.ts';

/**
 * Human review. Feedback (`accept`, `reject`, `edit`) feeds the router's learning; an override
 * replaces the council's answer for a lead with a person's, and is recorded as the human review
 * that GDPR Art. 22 requires for decisions with significant effects.
 */

/** Feedback on a decision (`POST /v1/council/decisions/{id}/feedback`). */
const feedbackSchema = z
  .object({
    verdict: z.enum(['accept', 'reject', 'edit']),
    /** Who gave it (a user id; not a name). */
    by: z.string().min(1).max(100),
    /** For `edit`: the corrected answer, validated against the question type. */
    output: z.unknown().optional(),
    comment: z.string().max(1000).optional(),
  })
  .strict();
/** Feedback as received. */
type Feedback = z.infer<typeof feedbackSchema>;

/** A review as stored beside the decision. */
export interface DecisionReview {
  decisionId: string;
  verdict: Feedback['verdict'];
  by: string;
  at: string;
  /** The edited answer (for `edit`). */
  output: Answer | null;
  comment: string | null;
  /** What the router learns: 1 accepted, 0 rejected, 0.5 edited (kept the gist, changed details) or 0 if the class changed. */
  reward: number;
}

/** Validates feedback and turns it into a review with its reward. */
export function applyFeedback(
  decision: CouncilDecision,
  input: unknown,
  clock: Clock,
): Result<DecisionReview, FieldIssue[]> {
  const parsed = feedbackSchema.safeParse(input);
  if (!parsed.success) return err(toFieldIssues(parsed.error, 'body'));
  const feedback = parsed.data;
  let output: Answer | null = null;
  let reward = feedback.verdict === 'accept' ? 1 : 0;
  if (feedback.verdict === 'edit') {
    const answer = ANSWER_SCHEMAS[decision.question.type].safeParse(feedback.output);
    if (!answer.success) return err(toFieldIssues(answer.error, 'body.output'));
    output = answer.data;
    reward = decisionClass(decision.question.type, output) === decision.decisionClass ? 0.5 : 0;
  }
  return ok({
    decisionId: decision.id,
    verdict: feedback.verdict,
    by: feedback.by,
    at: new Date(clock.now()).toISOString(),
    output,
    comment: feedback.comment ?? null,
    reward,
  });
}

/** What the audit log records (the shape of `AuditRecord` in `src/compliance`): references, no personal data. */
export interface CouncilAuditRecord {
  actor: Actor;
  action: string;
  subject: string;
  reason: string;
  data: Record<string, unknown>;
}

function subjectOf(decision: CouncilDecision): string {
  const q = decision.question;
  switch (q.type) {
    case 'lead.next_action':
    case 'lead.research':
      return q.leadId;
    case 'segment.strategy':
      return `segment:${hashValue(q.segment).slice(0, 16)}`;
    default:
      return decision.workspaceId;
  }
}

/** The audit record of a decision: agents, class, confidence, prompt hashes, input references, cost. */
export function decisionAuditRecord(decision: CouncilDecision): CouncilAuditRecord {
  return {
    actor: { type: 'system', id: 'council' },
    action: 'council.decision',
    subject: subjectOf(decision),
    reason: `${decision.question.type}: ${decision.decisionClass} (confidence ${decision.confidence})`,
    data: {
      decisionId: decision.id,
      questionType: decision.question.type,
      decisionClass: decision.decisionClass,
      confidence: decision.confidence,
      agents: decision.agents.map((agent) => ({ id: agent.id, stage: agent.stage })),
      outputHash: hashValue(decision.output),
      promptHashes: decision.promptHashes,
      inputs: decision.toolCalls
        .filter((call) => call.status === 'ok' && !call.cached)
        .map((call) => ({ tool: call.tool, argsHash: hashValue(call.args), resultHash: call.resultHash })),
      model: {
        provider: decision.model.provider,
        model: decision.model.model,
        fallback: decision.model.fallback?.reason ?? null,
      },
      cost: decision.cost,
      cacheHit: decision.cache.hit,
    },
  };
}

/** A person's override of a decision about a lead. */
export interface DecisionOverride {
  decisionId: string;
  subject: string;
  by: string;
  reason: string;
  at: string;
  previous: { decisionClass: string; outputHash: string };
  output: Answer;
  decisionClass: string;
  /** The legal basis the review satisfies. */
  basis: 'GDPR Art. 22(3): human intervention';
  audit: CouncilAuditRecord;
}

const overrideSchema = z
  .object({ by: z.string().min(1).max(100), reason: z.string().trim().min(3).max(1000), output: z.unknown() })
  .strict();

/**
 * Records a human override: validates the new answer against the question type and builds the
 * override and its audit record (`actor` is who made the request, as the HTTP layer knows it). Only decisions about a lead can be overridden (those are the ones
 * with an effect on a person); the reviewer must give a reason.
 */
export function overrideDecision(
  decision: CouncilDecision,
  input: unknown,
  options: { clock: Clock; actor: Actor },
): Result<DecisionOverride, FieldIssue[]> {
  if (decision.question.type !== 'lead.next_action' && decision.question.type !== 'lead.research') {
    return err([{ field: 'decision', reason: 'only decisions about a lead can be overridden' }]);
  }
  const parsed = overrideSchema.safeParse(input);
  if (!parsed.success) return err(toFieldIssues(parsed.error, 'body'));
  const answer = ANSWER_SCHEMAS[decision.question.type].safeParse(parsed.data.output);
  if (!answer.success) return err(toFieldIssues(answer.error, 'body.output'));
  const output = answer.data as Answer;
  const at = new Date(options.clock.now()).toISOString();
  const newClass = decisionClass(decision.question.type, output);
  const subject = subjectOf(decision);
  return ok({
    decisionId: decision.id,
    subject,
    by: parsed.data.by,
    reason: parsed.data.reason,
    at,
    previous: { decisionClass: decision.decisionClass, outputHash: hashValue(decision.output) },
    output,
    decisionClass: newClass,
    basis: 'GDPR Art. 22(3): human intervention',
    audit: {
      actor: options.actor,
      action: 'council.decision.override',
      subject,
      reason: `human review replaced ${decision.decisionClass} with ${newClass}`,
      data: {
        decisionId: decision.id,
        previousClass: decision.decisionClass,
        newClass,
        previousOutputHash: hashValue(decision.output),
        newOutputHash: hashValue(output),
        basis: 'GDPR Art. 22(3)',
      },
    },
  });
}
