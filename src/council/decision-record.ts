import { z } from 'zod';
import type { ModelProvider } from '../models/index.ts';
import type { ChatAlignment } from './chat-alignment.ts';
import type { Answer, Proposal, Question } from './question-schemas.ts';
import { ANSWER_SCHEMAS, questionSchema } from './question-schemas.ts';
import type { GuardFinding } from './safety.ts';
import type { ToolCallRecord } from './tool-gateway.ts';
import { AGENT_ROLES, BASES, FACTORS, type Factor } from './vocabulary.ts';

/** How the council was run for a decision: the router's cascade, or one of the baselines. */
export type CouncilStrategy =
  | { kind: 'cascade' }
  | { kind: 'full' }
  | { kind: 'generalist' }
  | { kind: 'self_consistency'; samples: number };

/** Which model answered a call (or, on the decision, the configured model and any fallback). */
interface ModelInfo {
  provider: ModelProvider | string;
  model: string;
  fallback: { from: string; reason: string; message: string } | null;
}

/** One agent call of the deliberation. */
export interface AgentRunRecord {
  agentId: string;
  round: 'proposal' | 'critique';
  task: string;
  /** sha256 of the prompt (system and user text). */
  promptHash: string;
  decisionClass: string;
  proposal: Proposal;
  model: ModelInfo;
  tokens: number;
  /** Of `tokens`, those of the prompt (the rest are the answer's); absent in runs recorded before it. */
  inputTokens?: number;
  sample: number | null;
}

/** A vote: an agent's class in one round. */
export interface Vote {
  agentId: string;
  round: 'proposal' | 'critique';
  decisionClass: string;
  basis: (typeof BASES)[number];
  confidence: number;
}

/**
 * A council decision: what was asked, who was consulted and why, what each said, the synthesis,
 * and everything the audit trail needs to reproduce how it came about (prompt hashes, tool calls
 * with result hashes, model and fallback, cost). Plain JSON.
 */
export interface CouncilDecision {
  id: string;
  workspaceId: string;
  question: Question;
  agents: Array<{ id: string; role: (typeof AGENT_ROLES)[number]; why: string; stage: string }>;
  output: Answer;
  decisionClass: string;
  /** Plain language, for the person reviewing it; no personal data. */
  explanation: string;
  confidence: number;
  dissent: Array<{ agentId: string; decisionClass: string; reason: string }>;
  votes: Vote[];
  runs: AgentRunRecord[];
  cost: { calls: number; tokens: number };
  model: ModelInfo & { fallbackCalls: number };
  promptHashes: string[];
  toolCalls: ToolCallRecord[];
  routing: {
    strategy: CouncilStrategy;
    candidates: Array<{ id: string; specificity: number; score: number; reasons: string[] }>;
    unanswered: Factor[];
    critique: boolean;
    budgetLimited: boolean;
    failures: Array<{ agentId: string; message: string }>;
  };
  cache: { hit: boolean; key: string; sourceDecisionId: string | null };
  safety: { findings: GuardFinding[]; replaced: string[] };
  /**
   * For a next action: the lead's chat outcome and whether the action follows it, with the reason
   * when it does not. Null without a chat (and absent on decisions stored before it existed).
   */
  chat?: ChatAlignment | null;
  createdAt: string;
}

const modelInfoSchema = z.object({
  provider: z.string(),
  model: z.string(),
  fallback: z.object({ from: z.string(), reason: z.string(), message: z.string() }).nullable(),
});

/**
 * Schema of a stored decision (what `GET /v1/council/decisions/{id}` returns). Nested proposal and
 * tool-call details are checked loosely; the output is checked against its question type.
 */
export const councilDecisionSchema = z
  .object({
    id: z.string().min(1),
    workspaceId: z.string().min(1),
    question: questionSchema,
    agents: z.array(
      z.object({ id: z.string(), role: z.enum(AGENT_ROLES), why: z.string(), stage: z.string() }),
    ),
    output: z.unknown(),
    decisionClass: z.string(),
    explanation: z.string(),
    confidence: z.number().min(0).max(1),
    dissent: z.array(z.object({ agentId: z.string(), decisionClass: z.string(), reason: z.string() })),
    votes: z.array(
      z.object({
        agentId: z.string(),
        round: z.enum(['proposal', 'critique']),
        decisionClass: z.string(),
        basis: z.enum(BASES),
        confidence: z.number(),
      }),
    ),
    runs: z.array(z.record(z.string(), z.unknown())),
    cost: z.object({ calls: z.number().int().nonnegative(), tokens: z.number().nonnegative() }),
    model: modelInfoSchema.extend({ fallbackCalls: z.number().int().nonnegative() }),
    promptHashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
    toolCalls: z.array(z.record(z.string(), z.unknown())),
    routing: z.object({
      strategy: z.object({ kind: z.string() }).loose(),
      candidates: z.array(z.record(z.string(), z.unknown())),
      unanswered: z.array(z.enum(FACTORS)),
      critique: z.boolean(),
      budgetLimited: z.boolean(),
      failures: z.array(z.object({ agentId: z.string(), message: z.string() })),
    }),
    cache: z.object({ hit: z.boolean(), key: z.string(), sourceDecisionId: z.string().nullable() }),
    safety: z.object({ findings: z.array(z.record(z.string(), z.unknown())), replaced: z.array(z.string()) }),
    chat: z
      .object({
        sessionId: z.string(),
        outcome: z.string().nullable(),
        agrees: z.boolean(),
        reason: z.string().nullable(),
      })
      .nullable()
      .optional(),
    createdAt: z.string(),
  })
  .superRefine((decision, ctx) => {
    const answer = ANSWER_SCHEMAS[decision.question.type].safeParse(decision.output);
    if (!answer.success)
      ctx.addIssue({ code: 'custom', path: ['output'], message: 'does not fit the question type' });
  });

/** Parses a stored decision. */
export function parseCouncilDecision(value: unknown): CouncilDecision | null {
  const parsed = councilDecisionSchema.safeParse(value);
  return parsed.success ? (parsed.data as unknown as CouncilDecision) : null;
}
