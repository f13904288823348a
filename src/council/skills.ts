import { z } from 'zod';
import { assertNever, unreachable } from '../core/index.ts';
import type { OfflineSkill, SkillRegistry } from '../models/index.ts';
import { defaultTask } from './agent-schema.ts';
import { deriveLeadFacts } from './context.ts';
import { draftMessage } from './drafting.ts';
import { type Knowledge, knowledgeOf } from './knowledge.ts';
import type { Proposal, Question } from './question-schemas.ts';
import { critiqueAction, type PeerClaim, proposeAction } from './rules-next-action.ts';
import { mergeRecommendations, reviewConfidence, reviewFindings, reviewOpen } from './rules-performance.ts';
import { buildBrief, fitClaim, fitConfidence, researchOpen } from './rules-research.ts';
import {
  buildPlan,
  type ChannelClaim,
  channelConfidence,
  composeChannel,
  deriveSegmentFacts,
  industryChannel,
  metricsWinner,
  segmentOpen,
} from './rules-segment.ts';
import type {
  ConversationSnapshot,
  LeadHistoryItem,
  LeadSnapshot,
  PerformanceMetrics,
  ScoreSnapshot,
  SegmentStats,
} from './tools-port.ts';
import {
  AGENT_ROLES,
  type AgentRole,
  BASES,
  type Channel,
  NEXT_ACTIONS,
  SPECIALTY_KINDS,
} from './vocabulary.ts';

/**
 * The offline skills of the council roles: deterministic rule engines that answer the same
 * structured proposal a real model is asked for. They read `skillInput` (facts the council read
 * through its tools), never the prompt text, so nothing a lead wrote can steer them.
 */

const peerSchema = z.object({
  agentId: z.string(),
  decisionClass: z.string(),
  basis: z.enum(BASES),
  confidence: z.number(),
  missing: z.array(z.string()).default([]),
});

/** What the council sends the offline skills (JSON). */
export const skillDataSchema = z.object({
  stage: z.enum(['propose', 'critique']),
  agent: z.object({
    id: z.string(),
    role: z.enum(AGENT_ROLES),
    specialty: z.object({ kind: z.enum(SPECIALTY_KINDS), value: z.string() }),
  }),
  question: z.record(z.string(), z.unknown()),
  asOf: z.string(),
  available: z.object({
    industries: z.array(z.string()),
    regions: z.array(z.string()),
    domains: z.array(z.string()),
    optimizers: z.boolean(),
  }),
  facts: z.record(z.string(), z.unknown()),
  peers: z.array(peerSchema).default([]),
});
/** The skill input the council builds. */
export type SkillData = z.input<typeof skillDataSchema>;

interface Facts {
  lead: LeadSnapshot | null;
  conversation: ConversationSnapshot | null;
  score: ScoreSnapshot | null;
  history: LeadHistoryItem[];
  segmentStats: SegmentStats | null;
  metrics: PerformanceMetrics | null;
}

/** The facts were validated by the tool gateway; here they are only read. */
function readFacts(raw: Record<string, unknown>): Facts {
  return {
    lead: (raw.getLead as LeadSnapshot | null | undefined) ?? null,
    conversation: (raw.getConversation as ConversationSnapshot | null | undefined) ?? null,
    score: (raw.getScore as ScoreSnapshot | null | undefined) ?? null,
    history: (raw.getLeadHistory as LeadHistoryItem[] | undefined) ?? [],
    segmentStats: (raw.getSegmentStats as SegmentStats | null | undefined) ?? null,
    metrics: (raw.getPerformanceMetrics as PerformanceMetrics | null | undefined) ?? null,
  };
}

type Peer = z.output<typeof peerSchema>;

function nextAction(data: ParsedData, k: Knowledge, facts: Facts): Proposal {
  const f = deriveLeadFacts(
    {
      lead: facts.lead,
      conversation: facts.conversation,
      score: facts.score,
      segmentStats: facts.segmentStats,
    },
    data.asOf,
  );
  const peers: PeerClaim[] = data.peers.flatMap((peer) =>
    (NEXT_ACTIONS as readonly string[]).includes(peer.decisionClass)
      ? [
          {
            agentId: peer.agentId,
            action: peer.decisionClass as PeerClaim['action'],
            basis: peer.basis,
            missing: peer.missing,
          },
        ]
      : [],
  );
  const outcome =
    data.stage === 'propose'
      ? proposeAction(f, k, data.available)
      : { ...critiqueAction(f, k, peers), open: [] as Proposal['openQuestions'] };
  const { claim } = outcome;
  const message = draftMessage(claim.action, f, {
    region: k.region !== null && k.region === f.region ? k.region : null,
    industry: k.industry !== null && k.industry === f.industry ? k.industry : null,
    contactName: facts.lead?.contactName ?? null,
    missing: claim.missing,
  });
  return {
    answer: {
      action: claim.action,
      message,
      reasons: claim.rules.map((rule) => rule.text).slice(0, 10),
      missingInfo: claim.missing,
    },
    confidence: outcome.confidence,
    basis: claim.basis,
    rules: claim.rules.slice(0, 12),
    openQuestions: outcome.open,
  };
}

function research(data: ParsedData, k: Knowledge, facts: Facts): Proposal {
  const f = deriveLeadFacts(
    { lead: facts.lead, conversation: facts.conversation, score: facts.score },
    data.asOf,
  );
  let claim = fitClaim(f, k);
  let open = researchOpen(f, k, data.available, claim);
  if (data.stage === 'critique') {
    const specialist = data.peers.find((peer) => peer.basis === 'industry');
    if (claim.basis !== 'industry' && specialist && isFit(specialist.decisionClass)) {
      claim = {
        fit: specialist.decisionClass,
        basis: 'industry',
        rule: { id: 'peer.industry', text: `Deferred to the industry profile of ${specialist.agentId}.` },
      };
    }
    open = [];
  }
  return {
    answer: buildBrief(f, k, facts.lead, facts.history, claim),
    confidence: fitConfidence(claim, open),
    basis: claim.basis,
    rules: [claim.rule],
    openQuestions: open,
  };
}

const isFit = (value: string): value is 'strong' | 'moderate' | 'weak' | 'unknown' =>
  ['strong', 'moderate', 'weak', 'unknown'].includes(value);

function peerChannel(peers: readonly Peer[], basis: 'metrics' | 'industry'): ChannelClaim | null {
  const peer = peers.find((p) => p.basis === basis);
  if (!peer) return null;
  return {
    channel: peer.decisionClass as Channel,
    basis,
    rules: [{ id: `peer.${basis}`, text: `Adopted the ${basis} channel of ${peer.agentId}.` }],
  };
}

function segment(data: ParsedData, k: Knowledge, facts: Facts, question: Question): Proposal {
  const seg = question.type === 'segment.strategy' ? question.segment : {};
  const s = deriveSegmentFacts(seg, facts.segmentStats);
  let metrics = k.metrics ? metricsWinner(s.stats) : null;
  let industry = k.industry ? industryChannel(s, k.industry) : null;
  let open = segmentOpen(s, k, data.available);
  if (data.stage === 'critique') {
    // Only the holder of the last stage (regional law) composes others' claims.
    if (k.region !== null && k.region === s.region) {
      metrics ??= peerChannel(data.peers, 'metrics');
      industry ??= peerChannel(data.peers, 'industry');
    }
    open = [];
  }
  const claim = composeChannel(s, k, metrics, industry);
  return {
    answer: buildPlan(s, k, claim),
    confidence: channelConfidence(claim, open),
    basis: claim.basis,
    rules: claim.rules.slice(0, 12),
    openQuestions: open,
  };
}

function review(data: ParsedData, k: Knowledge, facts: Facts): Proposal {
  const metrics = facts.metrics;
  if (!metrics) {
    return {
      answer: { primary: 'no_change', recommendations: [] },
      confidence: 0.3,
      basis: 'general',
      rules: [{ id: 'general.no-metrics', text: 'No performance metrics were available.' }],
      openQuestions: [],
    };
  }
  const findings = reviewFindings(metrics, k);
  const open = data.stage === 'propose' ? reviewOpen(metrics, k, data.available) : [];
  const answer = mergeRecommendations([findings]);
  return {
    answer,
    confidence: reviewConfidence(open),
    basis: 'metrics',
    rules: findings.map((f) => ({ id: `review.${f.kind}`, text: f.evidence })).slice(0, 12),
    openQuestions: open,
  };
}

type ParsedData = z.output<typeof skillDataSchema>;

/** Runs one council role on its structured input. Pure and deterministic. */
export function runCouncilSkill(raw: unknown): Proposal {
  const data = skillDataSchema.parse(raw);
  const k = knowledgeOf({ role: data.agent.role, specialty: data.agent.specialty });
  const facts = readFacts(data.facts);
  const question = data.question as Question;
  switch (question.type) {
    case 'lead.next_action':
      return nextAction(data, k, facts);
    case 'lead.research':
      return research(data, k, facts);
    case 'segment.strategy':
      return segment(data, k, facts, question);
    case 'performance.review':
      return review(data, k, facts);
    default:
      return assertNever(question, 'question type');
  }
}

/** The offline skill of a role (the role itself is read from the input's agent). */
export const councilSkill: OfflineSkill = (input) => {
  if (input.data === undefined) {
    unreachable(`council skill "${input.skill}" needs the council's skillInput`);
  }
  return { type: 'object', object: runCouncilSkill(input.data) };
};

/**
 * Registers `council.researcher`, `council.strategist` and `council.optimizer` on the model port's
 * skill registry (call once at composition time, on the registry given to `createModelClient`).
 */
export function registerCouncilSkills(
  skills: SkillRegistry,
  roles: readonly AgentRole[] = AGENT_ROLES,
): void {
  for (const role of roles) skills.register(defaultTask(role), councilSkill);
}
