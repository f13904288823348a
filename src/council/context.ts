import { annualised, authorityOfTitle } from '../leads/index.ts';
import type { SignalName } from './agent-schema.ts';
import type {
  ConversationSnapshot,
  LeadSnapshot,
  PerformanceMetrics,
  ScoreSnapshot,
  SegmentStats,
} from './tools-port.ts';
import {
  AUTHORITY_LEVELS,
  type AuthorityLevel,
  CONSENT_PURPOSES,
  type DealBand,
  type Domain,
  INDUSTRIES,
  type Industry,
  type Region,
  type Source,
} from './vocabulary.ts';

/**
 * Normalisation of lead data into the facts rules read. Lead data is untrusted: every structured
 * fact is taken from a whole-value match against a closed list (an industry, a country code, a
 * title pattern), never from a substring, so text appended to a field turns it into "unknown"
 * instead of into something else.
 */

const INDUSTRY_SYNONYMS: Record<Industry, readonly string[]> = {
  saas: ['saas', 'software', 'software as a service', 'b2b software', 'cloud software'],
  healthcare: ['healthcare', 'health care', 'hospital', 'hospitals', 'medical', 'health tech', 'healthtech'],
  finance: ['finance', 'financial services', 'banking', 'bank', 'insurance', 'fintech'],
  manufacturing: ['manufacturing', 'industrial', 'industrial manufacturing', 'automotive', 'machinery'],
  retail: ['retail', 'e-commerce', 'ecommerce', 'online retail'],
  education: ['education', 'edtech', 'higher education'],
  logistics: ['logistics', 'transportation', 'shipping'],
  media: ['media', 'publishing', 'entertainment'],
  public_sector: ['public sector', 'public_sector', 'government'],
};

const INDUSTRY_LOOKUP = new Map<string, Industry>(
  INDUSTRIES.flatMap((industry) => INDUSTRY_SYNONYMS[industry].map((name) => [name, industry] as const)),
);

const REGION_OF_COUNTRY: Record<string, Region> = {
  US: 'north_america',
  CA: 'north_america',
  DE: 'dach',
  AT: 'dach',
  CH: 'dach',
  GB: 'uk',
  AU: 'apac',
  NZ: 'apac',
  SG: 'apac',
  JP: 'apac',
  IN: 'apac',
  KR: 'apac',
  HK: 'apac',
  BR: 'latam',
  MX: 'latam',
  AR: 'latam',
  CL: 'latam',
  CO: 'latam',
  PE: 'latam',
};

const SOURCE_LOOKUP: Record<string, Source> = {
  chat: 'chat',
  'chat widget': 'chat',
  widget: 'chat',
  outbound_email: 'outbound_email',
  'outbound email': 'outbound_email',
  email: 'outbound_email',
  paid_search: 'paid_search',
  'paid search': 'paid_search',
  ppc: 'paid_search',
  adwords: 'paid_search',
  paid_social: 'paid_social',
  'paid social': 'paid_social',
  linkedin_ads: 'paid_social',
  organic: 'organic',
  seo: 'organic',
  website: 'organic',
  referral: 'referral',
  partner: 'referral',
  event: 'event',
  webinar: 'event',
  other: 'other',
};

/** Approximate USD value of one unit (deal sizes need the order of magnitude, not the day's rate). */
const USD_RATES: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 1.08,
  GBP: 1.27,
  CHF: 1.12,
  CAD: 0.73,
  AUD: 0.66,
  NZD: 0.6,
  SGD: 0.74,
  JPY: 0.0067,
  INR: 0.012,
  BRL: 0.2,
  MXN: 0.058,
  ARS: 0.0011,
  CLP: 0.0011,
  COP: 0.00025,
};

/** The industry named by a whole value (case and spacing ignored), or `null`. */
export function normaliseIndustry(raw: string | null | undefined): Industry | null {
  if (typeof raw !== 'string') return null;
  const key = raw.trim().toLowerCase().replace(/\s+/g, ' ');
  if (key.length > 40) return null;
  return INDUSTRY_LOOKUP.get(key) ?? null;
}

/** An ISO 3166-1 alpha-2 code (`uk` is taken as `GB`), or `null`. */
export function normaliseCountry(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null;
  const code = raw.trim().toUpperCase();
  if (code === 'UK') return 'GB';
  return /^[A-Z]{2}$/.test(code) ? code : null;
}

/** The region of a country code: a pool region, `other` for any other code, `null` when unknown. */
export function regionOf(country: string | null): Region | null {
  if (country === null) return null;
  return REGION_OF_COUNTRY[country] ?? 'other';
}

/** A lead source from a whole value, `other` for an unknown one, `null` when absent. */
export function normaliseSource(raw: string | null | undefined): Source | null {
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  return SOURCE_LOOKUP[raw.trim().toLowerCase().replace(/\s+/g, ' ')] ?? 'other';
}

/** The optimizer domain a source belongs to. */
export function domainOfSource(source: Source | null): Domain | null {
  switch (source) {
    case 'chat':
      return 'chat_conversion';
    case 'outbound_email':
      return 'outbound_email';
    case 'paid_search':
    case 'paid_social':
      return 'paid_acquisition';
    default:
      return null;
  }
}

/** The authority level a job title states (the lead kernel's one title vocabulary), or `null`: free text never guesses. */
export function authorityFromTitle(title: string | null | undefined): AuthorityLevel | null {
  return authorityOfTitle(title);
}

/** `true` when `level` is at least `minimum` (executive is the highest). */
export function authorityAtLeast(level: AuthorityLevel, minimum: AuthorityLevel): boolean {
  return AUTHORITY_LEVELS.indexOf(level) <= AUTHORITY_LEVELS.indexOf(minimum);
}

/** Small under 10k USD, mid under 100k, enterprise from 100k. */
export function dealBandOf(usd: number | null): DealBand | null {
  if (usd === null) return null;
  if (usd < 10_000) return 'small';
  if (usd < 100_000) return 'mid';
  return 'enterprise';
}

/** Whole days from `asOf` (YYYY-MM-DD or ISO time) to `date` (YYYY-MM-DD); negative when past. */
export function daysBetween(asOf: string, date: string): number {
  const from = Date.parse(`${asOf.slice(0, 10)}T00:00:00Z`);
  const to = Date.parse(`${date.slice(0, 10)}T00:00:00Z`);
  return Math.round((to - from) / 86_400_000);
}

/** Everything the rules read about one lead. */
export interface LeadFacts {
  leadId: string;
  industry: Industry | null;
  country: string | null;
  region: Region | null;
  employees: number | null;
  dealSizeUsd: number | null;
  dealBand: DealBand | null;
  authority: AuthorityLevel | null;
  needKnown: boolean;
  timelineDate: string | null;
  timelineDays: number | null;
  consentMarketing: boolean;
  consentSalesContact: boolean;
  /** The person withdrew consent to marketing e-mail (or objected): no nurture e-mails, whatever the region. */
  marketingWithdrawn: boolean;
  /** The person withdrew consent to sales calls (or objected): no rep contact. */
  salesContactWithdrawn: boolean;
  handoffRequested: boolean;
  score: number | null;
  scoreUncertain: boolean;
  threshold: number;
  source: Source | null;
  domain: Domain | null;
  language: 'en' | 'de';
  /** Conversion of the lead's segment, when statistics were read. */
  segmentConversion: { leads: number; rate: number; low: number; high: number } | null;
}

/** A score is uncertain when its 95% interval is 30 points wide or more. */
const UNCERTAIN_BAND_WIDTH = 30;

function dealSize(lead: LeadSnapshot | null, conversation: ConversationSnapshot | null): number | null {
  const budget = conversation?.slots.budget;
  if (budget) {
    const rate = USD_RATES[budget.currency];
    if (rate !== undefined) return Math.round(annualised(budget.max, budget.period) * rate);
  }
  const declared = lead?.attributes.dealSizeUsd;
  return typeof declared === 'number' && Number.isFinite(declared) && declared >= 0 ? declared : null;
}

/** Derives the facts from what the tools returned. Pure: `asOf` is the council clock's date. */
export function deriveLeadFacts(
  data: {
    lead: LeadSnapshot | null;
    conversation: ConversationSnapshot | null;
    score: ScoreSnapshot | null;
    segmentStats?: SegmentStats | null;
  },
  asOf: string,
): LeadFacts {
  const { lead, conversation, score } = data;
  const country = normaliseCountry(lead?.country);
  const usd = dealSize(lead, conversation);
  const slots = conversation?.slots ?? {};
  const timelineDate = slots.timeline?.byDate ?? null;
  const purposes = new Set(lead?.consentPurposes ?? []);
  const withdrawn = new Set(lead?.consentWithdrawn ?? []);
  const source = normaliseSource(lead?.source);
  const band = score?.band ?? null;
  const total = data.segmentStats?.total;
  const language = conversation?.language?.toLowerCase().startsWith('de')
    ? 'de'
    : conversation === null && regionOf(country) === 'dach'
      ? 'de'
      : 'en';
  return {
    leadId: lead?.id ?? '',
    industry: normaliseIndustry(lead?.industry),
    country,
    region: regionOf(country),
    employees: lead?.employees ?? slots.companySize?.max ?? null,
    dealSizeUsd: usd,
    dealBand: dealBandOf(usd),
    authority: slots.authority ?? authorityFromTitle(lead?.title),
    needKnown: typeof slots.need === 'string' && slots.need.trim() !== '',
    timelineDate,
    timelineDays: timelineDate === null ? null : daysBetween(asOf, timelineDate),
    consentMarketing: purposes.has(CONSENT_PURPOSES.marketing),
    consentSalesContact: purposes.has(CONSENT_PURPOSES.salesContact),
    marketingWithdrawn:
      withdrawn.has(CONSENT_PURPOSES.marketing) || withdrawn.has(CONSENT_PURPOSES.emailMarketing),
    salesContactWithdrawn:
      withdrawn.has(CONSENT_PURPOSES.salesContact) || withdrawn.has(CONSENT_PURPOSES.phone),
    handoffRequested: conversation?.handoffRequested ?? false,
    score: score?.score ?? null,
    scoreUncertain: band !== null && band.high - band.low >= UNCERTAIN_BAND_WIDTH,
    threshold: score?.threshold ?? 70,
    source,
    domain: domainOfSource(source),
    language,
    segmentConversion:
      total && total.leads > 0
        ? { leads: total.leads, rate: total.rate, low: total.low, high: total.high }
        : null,
  };
}

/** Cheap metric signals the router evaluates (`appliesWhen.signals`). */
export function metricSignals(
  metrics: PerformanceMetrics | null,
  segmentStats: SegmentStats | null,
): Partial<Record<SignalName, number>> {
  const signals: Partial<Record<SignalName, number>> = {};
  if (metrics?.chat) {
    signals['chat.sessions'] = metrics.chat.sessions;
    signals['chat.maxDropOff'] = Math.max(
      0,
      ...metrics.chat.questions.map((q) => (q.reached > 0 ? q.dropped / q.reached : 0)),
    );
  }
  if (metrics?.email) {
    const steps = metrics.email.steps;
    signals['email.sent'] = steps.reduce((sum, step) => sum + step.sent, 0);
    signals['email.maxBounceRate'] = Math.max(0, ...steps.map((s) => (s.sent > 0 ? s.bounced / s.sent : 0)));
    signals['email.maxUnsubscribeRate'] = Math.max(
      0,
      ...steps.map((s) => (s.sent > 0 ? s.unsubscribed / s.sent : 0)),
    );
  }
  if (metrics?.paid) {
    const channels = metrics.paid.channels;
    signals['paid.leads'] = channels.reduce((sum, c) => sum + c.leads, 0);
    const organic = metrics.organic.leads > 0 ? metrics.organic.qualified / metrics.organic.leads : 0;
    const rates = channels.filter((c) => c.leads > 0).map((c) => c.qualified / c.leads);
    if (organic > 0 && rates.length > 0) signals['paid.worstToOrganicRatio'] = Math.min(...rates) / organic;
  }
  if (segmentStats) {
    signals['segment.maxChannelLeads'] = Math.max(0, ...segmentStats.byChannel.map((c) => c.leads));
  }
  return signals;
}
