/**
 * The council's closed vocabularies. Every union is a `const` list so that registries keyed by it
 * (`Record<QuestionType, ...>`) fail to compile when a member is added without an implementation.
 */

/** The questions the council answers. */
export const QUESTION_TYPES = [
  'lead.next_action',
  'lead.research',
  'segment.strategy',
  'performance.review',
] as const;
/** A question type. */
export type QuestionType = (typeof QUESTION_TYPES)[number];

/** What an agent does: builds account briefs, decides what to do, or reads performance. */
export const AGENT_ROLES = ['researcher', 'strategist', 'optimizer'] as const;
/** An agent role. */
export type AgentRole = (typeof AGENT_ROLES)[number];

/** The kinds of specialty an agent can have. */
export const SPECIALTY_KINDS = ['industry', 'region', 'domain', 'general'] as const;

/** The read-only tools of the council; the lead implements them against the database. */
export const TOOL_NAMES = [
  'getLead',
  'getLeadHistory',
  'getConversation',
  'getScore',
  'getSegmentStats',
  'getPerformanceMetrics',
  'listWorkflows',
] as const;
/** A tool name. */
export type ToolName = (typeof TOOL_NAMES)[number];

/** Industries the built-in rules know; other values are kept as written but have no specialist. */
export const INDUSTRIES = [
  'saas',
  'healthcare',
  'finance',
  'manufacturing',
  'retail',
  'education',
  'logistics',
  'media',
  'public_sector',
] as const;
/** A normalised industry. */
export type Industry = (typeof INDUSTRIES)[number];

/** Regions; `other` is a known country outside the regional pools. */
export const REGIONS = ['north_america', 'dach', 'uk', 'apac', 'latam', 'other'] as const;
/** A region. */
export type Region = (typeof REGIONS)[number];

/** Optimizer domains. */
export const DOMAINS = ['outbound_email', 'paid_acquisition', 'chat_conversion'] as const;
/** An optimizer domain. */
export type Domain = (typeof DOMAINS)[number];

/** Normalised lead sources. */
const SOURCES = [
  'chat',
  'outbound_email',
  'paid_search',
  'paid_social',
  'organic',
  'referral',
  'event',
  'other',
] as const;
/** A lead source. */
export type Source = (typeof SOURCES)[number];

/** Deal size bands (annual value in USD): small < 10k, mid < 100k, enterprise ≥ 100k. */
export const DEAL_BANDS = ['small', 'mid', 'enterprise'] as const;
/** A deal size band. */
export type DealBand = (typeof DEAL_BANDS)[number];

// Decision-making levels are the lead kernel's (the chat engine's `authority` slot uses the same list).
export { AUTHORITY_LEVELS, type AuthorityLevel } from '../leads/index.ts';

/** `lead.next_action` decisions. */
export const NEXT_ACTIONS = ['route_to_rep', 'start_nurture', 'ask_for_info', 'disqualify'] as const;
/** A next action. */
export type NextAction = (typeof NEXT_ACTIONS)[number];

/** `lead.research` account fit classes. */
export const FIT_CLASSES = ['strong', 'moderate', 'weak', 'unknown'] as const;
/** An account fit class. */
export type FitClass = (typeof FIT_CLASSES)[number];

/** Marketing and sales channels of a segment plan. */
export const CHANNELS = [
  'email',
  'paid_search',
  'paid_social',
  'events',
  'partners',
  'sales_outreach',
] as const;
/** A channel. */
export type Channel = (typeof CHANNELS)[number];

/** Kinds of change a performance review recommends, in the order the council fixes them. */
export const REVIEW_KINDS = [
  'raise_threshold',
  'revise_playbook',
  'change_workflow',
  'lower_threshold',
  'no_change',
] as const;
/** A review recommendation kind. */
export type ReviewKind = (typeof REVIEW_KINDS)[number];

/**
 * What an agent's answer rests on. The synthesis ranks claims by it (a consent rule outranks an
 * industry habit, which outranks a general rule); the ranks differ per question type.
 */
export const BASES = ['disqualify', 'handoff', 'legal', 'metrics', 'industry', 'region', 'general'] as const;
/** A basis. */
export type Basis = (typeof BASES)[number];

/** Factors an agent may say it could not assess; the router answers them with another agent. */
export const FACTORS = ['industry', 'region', 'metrics', 'chat', 'email', 'paid'] as const;
/** A factor. */
export type Factor = (typeof FACTORS)[number];

/** Consent purposes the rules read. */
export const CONSENT_PURPOSES = {
  marketing: 'marketing',
  salesContact: 'sales_contact',
  // The privacy ledger's names for the same two purposes.
  emailMarketing: 'email_marketing',
  phone: 'phone',
} as const;
