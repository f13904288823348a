import { z } from 'zod';
import { assertNever } from '../core/index.ts';
import { segmentSchema } from './tools-port.ts';
import {
  BASES,
  CHANNELS,
  FACTORS,
  FIT_CLASSES,
  NEXT_ACTIONS,
  type QuestionType,
  REVIEW_KINDS,
} from './vocabulary.ts';

/**
 * Questions and the zod schemas of their answers. Answer schemas use `nullable` rather than
 * `optional` so OpenAI strict structured outputs accept them (every property required).
 */

const text = (max: number) => z.string().trim().min(1).max(max);

/** A question as asked (`POST /v1/council/questions`, or the pipeline on a qualified lead). */
export const questionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('lead.next_action'), leadId: z.string().min(1).max(100) }).strict(),
  z.object({ type: z.literal('lead.research'), leadId: z.string().min(1).max(100) }).strict(),
  z.object({ type: z.literal('segment.strategy'), segment: segmentSchema }).strict(),
  z
    .object({
      type: z.literal('performance.review'),
      windowDays: z.number().int().min(1).max(365).default(30),
    })
    .strict(),
]);
/** A validated question. */
export type Question = z.output<typeof questionSchema>;

/** The drafted message of a next action. */
const draftedMessageSchema = z.object({
  channel: z.enum(['email', 'chat', 'task']),
  subject: z.string().max(200).nullable(),
  body: text(2000),
  language: z.enum(['en', 'de']),
  tone: z.enum(['formal', 'neutral']),
});
/** A drafted message. */
export type DraftedMessage = z.infer<typeof draftedMessageSchema>;

/** `lead.next_action`: what to do with the lead, with a drafted message and the reasons. */
const nextActionAnswerSchema = z.object({
  action: z.enum(NEXT_ACTIONS),
  message: draftedMessageSchema,
  reasons: z.array(text(400)).min(1).max(10),
  missingInfo: z.array(text(100)).max(10),
});
/** A next-action answer. */
export type NextActionAnswer = z.infer<typeof nextActionAnswerSchema>;

/** `lead.research`: an account brief from the data held. */
const researchAnswerSchema = z.object({
  fit: z.enum(FIT_CLASSES),
  summary: text(1500),
  firmographics: z.object({
    company: z.string().max(120).nullable(),
    industry: z.string().max(40).nullable(),
    region: z.string().max(40).nullable(),
    country: z.string().max(2).nullable(),
    employees: z.number().int().nonnegative().nullable(),
  }),
  buyingSignals: z.array(text(300)).max(10),
  risks: z.array(text(300)).max(10),
  gaps: z.array(text(100)).max(10),
  engagement: z.object({
    touches: z.number().int().nonnegative(),
    firstSeen: z.string().max(40).nullable(),
    lastActivity: z.string().max(40).nullable(),
  }),
});
/** A research answer. */
export type ResearchAnswer = z.infer<typeof researchAnswerSchema>;

/** `segment.strategy`: messaging and channel plan. */
const segmentAnswerSchema = z.object({
  primaryChannel: z.enum(CHANNELS),
  tone: z.enum(['formal', 'neutral', 'casual']),
  messaging: z.array(text(300)).min(1).max(10),
  channels: z
    .array(
      z.object({ channel: z.enum(CHANNELS), role: z.enum(['primary', 'support', 'avoid']), why: text(300) }),
    )
    .min(1)
    .max(12),
  compliance: z.array(text(300)).max(10),
});
/** A segment strategy answer. */
export type SegmentAnswer = z.infer<typeof segmentAnswerSchema>;

/** One recommended change of a performance review. */
const recommendationSchema = z.object({
  kind: z.enum(REVIEW_KINDS),
  target: text(200),
  change: text(500),
  expectedEffect: text(500),
  evidence: text(500),
  /** What the recommendation rests on: rates learned from outcomes, or a written rule. */
  source: z.enum(['learned', 'rule']).optional(),
  /** For `learned`: how many outcomes (all business units) the rate was learned from. */
  outcomes: z.number().int().nonnegative().optional(),
});
/** A recommendation. */
export type Recommendation = z.infer<typeof recommendationSchema>;

/** `performance.review`: what to change (thresholds, playbook questions, workflow steps) and why. */
const reviewAnswerSchema = z.object({
  primary: z.enum(REVIEW_KINDS),
  recommendations: z.array(recommendationSchema).max(12),
});
/** A review answer. */
export type ReviewAnswer = z.infer<typeof reviewAnswerSchema>;

/** Answer type per question type. */
interface AnswerOf {
  'lead.next_action': NextActionAnswer;
  'lead.research': ResearchAnswer;
  'segment.strategy': SegmentAnswer;
  'performance.review': ReviewAnswer;
}
/** Any answer. */
export type Answer = AnswerOf[QuestionType];

/** The answer schema of each question type. */
export const ANSWER_SCHEMAS = {
  'lead.next_action': nextActionAnswerSchema,
  'lead.research': researchAnswerSchema,
  'segment.strategy': segmentAnswerSchema,
  'performance.review': reviewAnswerSchema,
} satisfies Record<QuestionType, z.ZodType>;

/** The decision class of an answer: the action, the fit, the primary channel, or the primary change. */
export function decisionClass(type: QuestionType, answer: Answer): string {
  switch (type) {
    case 'lead.next_action':
      return (answer as NextActionAnswer).action;
    case 'lead.research':
      return (answer as ResearchAnswer).fit;
    case 'segment.strategy':
      return (answer as SegmentAnswer).primaryChannel;
    case 'performance.review':
      return (answer as ReviewAnswer).primary;
    default:
      return assertNever(type, 'question type');
  }
}

/** A rule an agent applied, cited by id with a sentence for people. */
const ruleNoteSchema = z.object({ id: text(80), text: text(400) });
/** A rule note. */
export type RuleNote = z.infer<typeof ruleNoteSchema>;

const proposalSchemas = new Map<QuestionType, ReturnType<typeof buildProposalSchema>>();

/**
 * An agent's structured proposal (the object every agent call must return). One schema object per
 * question type: the model client turns each into JSON Schema once (models/client.ts). Building
 * and converting one per agent call was 2.3% of a PostgreSQL drain's CPU samples.
 */
export function proposalSchema<T extends QuestionType>(type: T): ReturnType<typeof buildProposalSchema<T>> {
  let schema = proposalSchemas.get(type);
  if (!schema) {
    schema = buildProposalSchema(type);
    proposalSchemas.set(type, schema);
  }
  return schema as ReturnType<typeof buildProposalSchema<T>>;
}

function buildProposalSchema<T extends QuestionType>(type: T) {
  return z.object({
    answer: ANSWER_SCHEMAS[type],
    confidence: z.number().min(0).max(1),
    basis: z.enum(BASES),
    rules: z.array(ruleNoteSchema).max(12),
    openQuestions: z.array(z.enum(FACTORS)).max(FACTORS.length),
  });
}
/** A proposal of any question type. */
export interface Proposal {
  answer: Answer;
  confidence: number;
  basis: (typeof BASES)[number];
  rules: RuleNote[];
  openQuestions: Array<(typeof FACTORS)[number]>;
}
