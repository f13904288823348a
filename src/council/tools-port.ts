import { z } from 'zod';
import { BUDGET_PERIODS } from '../leads/index.ts';
import { AUTHORITY_LEVELS, DEAL_BANDS, type ToolName } from './vocabulary.ts';

/**
 * The council's read-only tools: a port the lead implements against the database. Every method
 * receives the workspace scope first; the council's gateway fills it from the question, never from
 * arguments a model or lead data supplied. Results are validated against the schemas below, so a
 * wrong shape (or a row of another workspace) is refused rather than reasoned over.
 */

const scalar = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);
const isoTime = z.string().max(40);

/** A lead as the council sees it (map `Lead` of `src/leads`: `industry`/`employees` from attributes). */
export const leadSnapshotSchema = z.object({
  id: z.string().min(1).max(100),
  workspaceId: z.string().min(1).max(100),
  /** Display name for a greeting; untrusted text. */
  contactName: z.string().max(500).nullable(),
  company: z.string().max(500).nullable(),
  companyDomain: z.string().max(255).nullable(),
  title: z.string().max(500).nullable(),
  /** ISO 3166-1 alpha-2. */
  country: z.string().max(100).nullable(),
  source: z.string().max(200).nullable(),
  industry: z.string().max(200).nullable(),
  employees: z.number().int().nonnegative().nullable(),
  /** Purposes the lead consented to, e.g. `marketing`, `sales_contact`. */
  consentPurposes: z.array(z.string().max(100)).max(50),
  /**
   * Purposes the person explicitly withdrew (or objected to), e.g. `email_marketing`: stronger than
   * a consent never given; no rule may propose that contact.
   */
  consentWithdrawn: z.array(z.string().max(100)).max(50).optional(),
  /** Other webhook fields, as received (untrusted). */
  attributes: z.record(z.string().max(200), scalar),
  status: z.string().max(50),
  createdAt: isoTime,
});
/** A lead snapshot. */
export type LeadSnapshot = z.infer<typeof leadSnapshotSchema>;

/** One entry of a lead's history (which fields an event changed; values stay in the database). */
export const leadHistoryItemSchema = z.object({
  at: isoTime,
  action: z.string().max(100),
  fields: z.array(z.string().max(200)).max(100),
});
/** A history entry. */
export type LeadHistoryItem = z.infer<typeof leadHistoryItemSchema>;

const moneySchema = z.object({
  min: z.number().nonnegative(),
  max: z.number().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  period: z.enum(BUDGET_PERIODS).optional(),
  unit: z.literal('seat').optional(),
});

/** Slots as the chat engine extracts them (`SlotValues` of `src/chat`, the BANT-style names). */
const conversationSlotsSchema = z.object({
  need: z.string().max(2000).optional(),
  authority: z.enum(AUTHORITY_LEVELS).optional(),
  timeline: z.object({ byDate: z.iso.date() }).optional(),
  budget: moneySchema.optional(),
  companySize: z.object({ min: z.number().int().positive(), max: z.number().int().positive() }).optional(),
});
/** Conversation slots. */
export type ConversationSlots = z.infer<typeof conversationSlotsSchema>;

/** The qualification conversation of a lead (from `SessionSummary`). */
export const conversationSnapshotSchema = z.object({
  sessionId: z.string().max(100),
  playbookId: z.string().max(100),
  language: z.string().max(10),
  outcome: z.string().max(50).nullable(),
  handoffRequested: z.boolean(),
  slots: conversationSlotsSchema,
  transcript: z
    .array(z.object({ role: z.enum(['bot', 'visitor', 'agent', 'system']), text: z.string().max(5000) }))
    .max(500),
  endedAt: isoTime.nullable(),
});
/** A conversation snapshot. */
export type ConversationSnapshot = z.infer<typeof conversationSnapshotSchema>;

/** The lead's score and why (point rules or the predictive model with its interval). */
export const scoreSnapshotSchema = z.object({
  score: z.number().min(0).max(100),
  /** The score's 95% interval when the model gives one; `null` for point rules. */
  band: z.object({ low: z.number().min(0).max(100), high: z.number().min(0).max(100) }).nullable(),
  threshold: z.number().min(0).max(100),
  model: z.enum(['rules', 'predictive']),
  factors: z.array(z.object({ label: z.string().max(300), points: z.number() })).max(100),
});
/** A score snapshot. */
export type ScoreSnapshot = z.infer<typeof scoreSnapshotSchema>;

/** A segment: any subset of industry, region, deal band and source. */
export const segmentSchema = z
  .object({
    industry: z.string().max(100).optional(),
    region: z.string().max(100).optional(),
    dealBand: z.enum(DEAL_BANDS).optional(),
    source: z.string().max(100).optional(),
  })
  .strict();
/** A segment. */
export type Segment = z.infer<typeof segmentSchema>;

const countsSchema = z
  .object({ leads: z.number().int().nonnegative(), conversions: z.number().int().nonnegative() })
  .refine((c) => c.conversions <= c.leads, 'conversions cannot exceed leads');

/** What the port returns for a segment: counts only; the gateway adds rates and Wilson intervals. */
export const segmentCountsSchema = z.object({
  windowDays: z.number().int().positive(),
  total: countsSchema,
  byChannel: z.array(z.object({ channel: z.string().max(100) }).and(countsSchema)).max(50),
});
/** Segment counts. */
export type SegmentCounts = z.infer<typeof segmentCountsSchema>;

/** A conversion rate with its 95% Wilson interval. */
export interface RateWithInterval {
  leads: number;
  conversions: number;
  rate: number;
  low: number;
  high: number;
}

/** Segment statistics as agents see them. */
export interface SegmentStats {
  segment: Segment;
  windowDays: number;
  total: RateWithInterval;
  byChannel: Array<RateWithInterval & { channel: string }>;
}

const stepSchema = z.object({
  workflowId: z.string().max(100),
  stepId: z.string().max(100),
  sent: z.number().int().nonnegative(),
  bounced: z.number().int().nonnegative(),
  unsubscribed: z.number().int().nonnegative(),
  replied: z.number().int().nonnegative(),
});

/**
 * Outcomes of the organisation's business units per industry, region and deal band (counts only,
 * no lead), from which the optimizers learn pooled conversion rates. `self` marks the asking unit.
 */
const learnedConversionsSchema = z.object({
  windowDays: z.number().int().positive(),
  cells: z
    .array(
      z.object({
        industry: z.string().max(100),
        region: z.string().max(100),
        dealBand: z.string().max(100),
        units: z.array(z.object({ self: z.boolean() }).and(countsSchema)).max(200),
      }),
    )
    .max(500),
});
/** Learned-conversion counts. */
export type LearnedConversions = z.infer<typeof learnedConversionsSchema>;

/** Recent performance of the workspace's funnel (counts). */
export const performanceMetricsSchema = z.object({
  windowDays: z.number().int().positive(),
  threshold: z.number().min(0).max(100),
  /** Leads routed to reps, and how many converted. */
  routed: countsSchema,
  /** Nurtured leads that scored within 10 points below the threshold, and how many converted. */
  nearThreshold: countsSchema,
  organic: z.object({ leads: z.number().int().nonnegative(), qualified: z.number().int().nonnegative() }),
  chat: z
    .object({
      sessions: z.number().int().nonnegative(),
      completed: z.number().int().nonnegative(),
      questions: z
        .array(
          z.object({
            slot: z.string().max(100),
            reached: z.number().int().nonnegative(),
            dropped: z.number().int().nonnegative(),
          }),
        )
        .max(50),
    })
    .nullable(),
  email: z.object({ steps: z.array(stepSchema).max(200) }).nullable(),
  paid: z
    .object({
      channels: z
        .array(
          z.object({
            channel: z.string().max(100),
            leads: z.number().int().nonnegative(),
            qualified: z.number().int().nonnegative(),
          }),
        )
        .max(20),
    })
    .nullable(),
  /** Pooled outcomes of the organisation's business units (absent: only the written rules apply). */
  learned: learnedConversionsSchema.nullable().optional(),
});
/** Performance metrics. */
export type PerformanceMetrics = z.infer<typeof performanceMetricsSchema>;

/** A workflow of the workspace (names and step kinds only). */
export const workflowSummarySchema = z.object({
  id: z.string().max(100),
  name: z.string().max(200),
  active: z.boolean(),
  trigger: z.string().max(200),
  steps: z
    .array(z.object({ id: z.string().max(100), kind: z.string().max(50), name: z.string().max(200) }))
    .max(100),
});
/** A workflow summary. */
export type WorkflowSummary = z.infer<typeof workflowSummarySchema>;

/**
 * The scope every tool call runs in. Only the council's gateway builds one, one object per
 * decision: an implementation may keep what it read for as long as the object lives.
 */
export interface ToolScope {
  readonly workspaceId: string;
  readonly signal?: AbortSignal;
}

const leadArgs = z.object({ leadId: z.string().min(1).max(100) }).strict();

/** Argument schemas (strict: unknown keys are refused after the gateway removed tenant keys). */
export const TOOL_ARGS = {
  getLead: leadArgs,
  getLeadHistory: z
    .object({ leadId: z.string().min(1).max(100), limit: z.number().int().min(1).max(100).default(20) })
    .strict(),
  getConversation: leadArgs,
  getScore: leadArgs,
  getSegmentStats: z
    .object({ segment: segmentSchema, windowDays: z.number().int().min(1).max(365).default(90) })
    .strict(),
  getPerformanceMetrics: z.object({ windowDays: z.number().int().min(1).max(365).default(30) }).strict(),
  listWorkflows: z.object({}).strict(),
} satisfies Record<ToolName, z.ZodType>;

/** Parsed arguments of each tool. */
type ToolArgs = { [K in ToolName]: z.output<(typeof TOOL_ARGS)[K]> };

/** What the port returns per tool (`null` when the lead or its conversation/score does not exist). */
interface ToolPortResults {
  getLead: LeadSnapshot | null;
  getLeadHistory: LeadHistoryItem[];
  getConversation: ConversationSnapshot | null;
  getScore: ScoreSnapshot | null;
  getSegmentStats: SegmentCounts;
  getPerformanceMetrics: PerformanceMetrics;
  listWorkflows: WorkflowSummary[];
}

/** What agents receive per tool (segment statistics gain rates and intervals). */
export type ToolResults = Omit<ToolPortResults, 'getSegmentStats'> & { getSegmentStats: SegmentStats };

/** Result schemas the gateway checks the port's answers against. */
export const TOOL_RESULTS = {
  getLead: leadSnapshotSchema.nullable(),
  getLeadHistory: z.array(leadHistoryItemSchema).max(1000),
  getConversation: conversationSnapshotSchema.nullable(),
  getScore: scoreSnapshotSchema.nullable(),
  getSegmentStats: segmentCountsSchema,
  getPerformanceMetrics: performanceMetricsSchema,
  listWorkflows: z.array(workflowSummarySchema).max(500),
} satisfies Record<ToolName, z.ZodType>;

/**
 * The port. Implementations must read only rows of `scope.workspaceId` (the gateway also refuses
 * a lead whose `workspaceId` differs) and must not write.
 */
export interface CouncilTools {
  getLead(scope: ToolScope, args: ToolArgs['getLead']): Promise<LeadSnapshot | null>;
  getLeadHistory(scope: ToolScope, args: ToolArgs['getLeadHistory']): Promise<LeadHistoryItem[]>;
  getConversation(scope: ToolScope, args: ToolArgs['getConversation']): Promise<ConversationSnapshot | null>;
  getScore(scope: ToolScope, args: ToolArgs['getScore']): Promise<ScoreSnapshot | null>;
  getSegmentStats(scope: ToolScope, args: ToolArgs['getSegmentStats']): Promise<SegmentCounts>;
  getPerformanceMetrics(
    scope: ToolScope,
    args: ToolArgs['getPerformanceMetrics'],
  ): Promise<PerformanceMetrics>;
  listWorkflows(scope: ToolScope, args: ToolArgs['listWorkflows']): Promise<WorkflowSummary[]>;
}
