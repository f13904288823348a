import { z } from 'zod';
import { err, LeadloopError, ok, type Result, toFieldIssues } from '../core/index.ts';
import {
  LANGUAGES,
  type Language,
  OUTCOMES,
  type Outcome,
  type Playbook,
  playbookSchema,
} from './playbook-schema.ts';
import type { ReplyOrigin } from './reply-phraser.ts';
import type { SafetyCategory } from './safety.ts';
import type { ScoreBreakdown } from './scoring.ts';
import {
  companySizeValueSchema,
  moneyValueSchema,
  type SlotValue,
  type SlotValues,
  timelineValueSchema,
} from './slot-values.ts';

/** What the host page told the widget when the session started. */
export interface SessionContext {
  /** The session's id; also seeds the choice of reply variants. */
  sessionId: string;
  /** BCP 47 language of the visitor's browser (`de-DE`); picks the reply language. */
  locale?: string;
  pageUrl?: string;
  referrer?: string;
  utm?: Partial<Record<'source' | 'medium' | 'campaign' | 'term' | 'content', string>>;
  /** The browser's Global Privacy Control signal. */
  gpc?: boolean;
  /** The workspace's privacy notice, linked at the consent step; `hash` is what the consent records. */
  notice?: PrivacyNotice;
}

/** A privacy notice as the consent step shows it: version, where to read it, and its sha256. */
export interface PrivacyNotice {
  version: string;
  url: string;
  hash: string;
}

/** A person from the workspace who took over the conversation. */
export interface AgentRef {
  id: string;
  name?: string;
}

/** One message of the conversation. */
export interface TranscriptEntry {
  role: 'bot' | 'visitor' | 'agent' | 'system';
  text: string;
  /** ISO 8601 time from the session clock. */
  at: string;
  agentId?: string;
  /** The display name of the person who wrote an `agent` message. */
  agentName?: string;
  /** Set on visitor messages the safety check refused; their content was not read for slots. */
  flagged?: SafetyCategory;
  /** On bot messages worded by a phraser: the model that wrote it, or the offline path and why. */
  via?: ReplyOrigin;
}

/** A filled slot and where it came from. */
interface FilledSlot {
  value: SlotValue;
  /** The visitor turn (1-based) that gave or last corrected it. */
  turn: number;
  /** Name of the extractor that read it (`offline`, or a model's). */
  source: string;
  /** The value it replaced, when it was corrected. */
  previous?: SlotValue;
}

/**
 * Proof of the visitor's consent to follow-up, as the engine emits it: compatible with the lead
 * API's `consent` object (`purposes`, `textVersion`, `timestamp`, `method`), plus the exact wording
 * shown and the visitor's answer.
 */
export interface ConsentRecord {
  sessionId: string;
  textVersion: string;
  purposes: string[];
  /** The question exactly as shown. */
  text: string;
  language: Language;
  /** ISO 8601 time from the session clock. */
  timestamp: string;
  method: 'chat';
  /** The visitor's reply that gave consent. */
  answer: string;
  email?: string;
  phone?: string;
  /** The browser sent Global Privacy Control when consent was given. */
  gpc?: boolean;
  /** The privacy notice linked at the consent step, when the workspace has one. */
  noticeVersion?: string;
  noticeHash?: string;
}

/** Where a conversation is: asking questions, asking for contact details, asking for consent, or over. */
export type Phase = 'questions' | 'contact' | 'consent' | 'ended';

/** Why a conversation ended. */
export type EndReason = 'completed' | 'visitor_left' | 'stalled' | 'turn_limit' | 'safety' | 'closed';

/**
 * Everything about one conversation, as a plain JSON-serialisable object: store it as is (a
 * JSON column) and pass it back to `handle`. It embeds the playbook snapshot it started with, so
 * editing a playbook never changes a conversation under way.
 */
export interface SessionState {
  version: 1;
  sessionId: string;
  playbook: Playbook;
  context: SessionContext;
  language: Language;
  phase: Phase;
  /** The slot just asked about, or `contact` / `consent`; null once ended. */
  pending: string | null;
  /** Unproductive answers per question. */
  attempts: Record<string, number>;
  /** Questions skipped: declined by the visitor or given up after too many attempts. */
  declined: string[];
  slots: Record<string, FilledSlot>;
  /** Contact details; `name` and `company` as the visitor gave them. */
  contact: { email?: string; phone?: string; name?: string; company?: string };
  contactDeclined: boolean;
  /**
   * The playbook's answers disqualify the visitor, who is offered to leave contact details (and
   * consent) before the conversation ends; the outcome is `disqualified` either way.
   */
  contactOffer: boolean;
  consent: ConsentRecord | null;
  consentDecision: 'given' | 'refused' | null;
  outcome: Outcome | null;
  endReason: EndReason | null;
  /** Points breakdown, frozen when the conversation ends. */
  score: ScoreBreakdown | null;
  takenOver: { agent: AgentRef; since: string } | null;
  handoffRequested: boolean;
  /** Nobody took over within the workspace's hand-off time, and the visitor was told so. */
  handoffTimedOut: boolean;
  /** When the visitor asked for a person; null once someone took over (or when nobody was asked for). */
  handoffRequestedAt: string | null;
  /** Refused messages (injection, abuse) so far. */
  strikes: number;
  /** Consecutive visitor messages that moved nothing forward. */
  stall: number;
  /** Visitor messages so far. */
  turn: number;
  transcript: TranscriptEntry[];
  startedAt: string;
  updatedAt: string;
  endedAt: string | null;
}

/** Slot name to value, for the filled slots of a state. */
export function slotValues(state: SessionState): SlotValues {
  const values: SlotValues = {};
  for (const [slot, filled] of Object.entries(state.slots)) values[slot] = filled.value;
  return values;
}

const slotValueSchema = z.union([moneyValueSchema, timelineValueSchema, companySizeValueSchema, z.string()]);
const iso = z.iso.datetime({ offset: true });
const agentSchema = z.object({ id: z.string().min(1), name: z.string().optional() }).strict();
const pointsLine = z
  .object({ slot: z.string(), points: z.number(), max: z.number(), reason: z.string() })
  .strict();

/** The zod schema of a stored session state. */
const sessionStateSchema = z
  .object({
    version: z.literal(1),
    sessionId: z.string().min(1),
    playbook: playbookSchema,
    context: z
      .object({
        sessionId: z.string().min(1),
        locale: z.string().optional(),
        pageUrl: z.string().optional(),
        referrer: z.string().optional(),
        utm: z.record(z.string(), z.string()).optional(),
        gpc: z.boolean().optional(),
        notice: z.object({ version: z.string(), url: z.string(), hash: z.string() }).strict().optional(),
      })
      .strict(),
    language: z.enum(LANGUAGES),
    phase: z.enum(['questions', 'contact', 'consent', 'ended']),
    pending: z.string().nullable(),
    attempts: z.record(z.string(), z.number().int().nonnegative()),
    declined: z.array(z.string()),
    slots: z.record(
      z.string(),
      z
        .object({
          value: slotValueSchema,
          turn: z.number().int().nonnegative(),
          source: z.string(),
          previous: slotValueSchema.optional(),
        })
        .strict(),
    ),
    contact: z
      .object({
        email: z.string().optional(),
        phone: z.string().optional(),
        name: z.string().max(200).optional(),
        company: z.string().max(200).optional(),
      })
      .strict(),
    contactDeclined: z.boolean(),
    contactOffer: z.boolean().default(false),
    consent: z
      .object({
        sessionId: z.string(),
        textVersion: z.string(),
        purposes: z.array(z.string()),
        text: z.string(),
        language: z.enum(LANGUAGES),
        timestamp: iso,
        method: z.literal('chat'),
        answer: z.string(),
        email: z.string().optional(),
        phone: z.string().optional(),
        gpc: z.boolean().optional(),
        noticeVersion: z.string().optional(),
        noticeHash: z.string().optional(),
      })
      .strict()
      .nullable(),
    consentDecision: z.enum(['given', 'refused']).nullable(),
    outcome: z.enum(OUTCOMES).nullable(),
    endReason: z.enum(['completed', 'visitor_left', 'stalled', 'turn_limit', 'safety', 'closed']).nullable(),
    score: z
      .object({ total: z.number(), max: z.number(), lines: z.array(pointsLine) })
      .strict()
      .nullable(),
    takenOver: z.object({ agent: agentSchema, since: iso }).strict().nullable(),
    handoffRequested: z.boolean(),
    handoffTimedOut: z.boolean().default(false),
    handoffRequestedAt: iso.nullable().default(null),
    strikes: z.number().int().nonnegative(),
    stall: z.number().int().nonnegative(),
    turn: z.number().int().nonnegative(),
    transcript: z.array(
      z
        .object({
          role: z.enum(['bot', 'visitor', 'agent', 'system']),
          text: z.string(),
          at: iso,
          agentId: z.string().optional(),
          agentName: z.string().optional(),
          flagged: z
            .enum([
              'instruction_override',
              'prompt_extraction',
              'role_play',
              'data_exfiltration',
              'code_injection',
              'abuse',
            ])
            .optional(),
          via: z
            .union([
              z
                .object({
                  path: z.literal('model'),
                  model: z.string(),
                  cited: z.array(z.string()).optional(),
                  declined: z.boolean().optional(),
                })
                .strict(),
              z.object({ path: z.literal('offline'), reason: z.string() }).strict(),
            ])
            .optional(),
        })
        .strict(),
    ),
    startedAt: iso,
    updatedAt: iso,
    endedAt: iso.nullable(),
  })
  .strict();

/**
 * Reads a stored state back (from a JSON column) and checks its shape, so a corrupt or foreign
 * row fails with `validation_failed` instead of confusing the engine.
 */
export function parseSessionState(input: unknown): Result<SessionState, LeadloopError> {
  const parsed = sessionStateSchema.safeParse(input);
  if (parsed.success) return ok(parsed.data as SessionState);
  return err(
    new LeadloopError('validation_failed', 'the stored chat session is not valid', {
      issues: toFieldIssues(parsed.error, 'state'),
    }),
  );
}
