import { domainOfSource, normaliseIndustry, normaliseSource } from './context.ts';
import type { Available, Knowledge } from './knowledge.ts';
import type { RuleNote, SegmentAnswer } from './question-schemas.ts';
import type { Segment, SegmentStats } from './tools-port.ts';
import {
  type Basis,
  CHANNELS,
  type Channel,
  type DealBand,
  type Domain,
  type Factor,
  type Industry,
  REGIONS,
  type Region,
  type Source,
} from './vocabulary.ts';
import { percent } from './wilson.ts';

/**
 * `segment.strategy`: the primary channel is, in order, a clear statistical winner (200+ leads,
 * lower bound above every other channel's upper bound), the industry's habit, the region's habit,
 * or the deal band's default; regional law then removes channels (DACH: no cold calls or cold e-mail).
 */

/** What the segment rules read. */
export interface SegmentFacts {
  industry: Industry | null;
  region: Region | null;
  dealBand: DealBand | null;
  source: Source | null;
  domain: Domain | null;
  stats: SegmentStats | null;
}

/** Normalises a question's segment and its statistics. */
export function deriveSegmentFacts(segment: Segment, stats: SegmentStats | null): SegmentFacts {
  const region = (REGIONS as readonly string[]).includes(segment.region ?? '')
    ? (segment.region as Region)
    : null;
  const source = normaliseSource(segment.source);
  return {
    industry: normaliseIndustry(segment.industry),
    region,
    dealBand: segment.dealBand ?? null,
    source,
    domain: domainOfSource(source),
    stats,
  };
}

/** A channel choice with its basis. */
export interface ChannelClaim {
  channel: Channel;
  basis: Basis;
  rules: RuleNote[];
}

const isChannel = (value: string): value is Channel => (CHANNELS as readonly string[]).includes(value);

/** The statistically clear winner among the segment's channels, if any. */
export function metricsWinner(stats: SegmentStats | null): ChannelClaim | null {
  if (!stats) return null;
  const ranked = stats.byChannel.filter((c) => c.leads >= 200).sort((a, b) => b.low - a.low);
  const best = ranked[0];
  if (!best || !isChannel(best.channel)) return null;
  const others = stats.byChannel.filter((c) => c.channel !== best.channel && c.leads >= 30);
  if (!others.every((other) => other.high < best.low)) return null;
  return {
    channel: best.channel,
    basis: 'metrics',
    rules: [
      {
        id: 'metrics.segment-winner',
        text: `${best.channel} converts at ${percent(best.low)}–${percent(best.high)} (95% interval, ${best.leads} leads), clearly above every other channel.`,
      },
    ],
  };
}

const INDUSTRY_CHANNEL: Record<string, (band: DealBand | null) => Channel> = {
  healthcare: () => 'events',
  finance: () => 'partners',
  manufacturing: () => 'events',
  retail: () => 'paid_social',
  saas: (band) => (band === 'enterprise' ? 'sales_outreach' : 'paid_search'),
};

const REGION_CHANNEL: Record<string, (band: DealBand | null) => Channel> = {
  apac: () => 'partners',
  latam: () => 'paid_social',
  uk: () => 'email',
  dach: () => 'events',
  north_america: (band) => (band === 'enterprise' ? 'sales_outreach' : 'paid_search'),
};

/** The industry habit, for an agent specialised in the segment's industry. */
export function industryChannel(s: SegmentFacts, industry: Industry): ChannelClaim | null {
  const choose = s.industry === industry ? INDUSTRY_CHANNEL[industry] : undefined;
  if (!choose) return null;
  const channel = choose(s.dealBand);
  return {
    channel,
    basis: 'industry',
    rules: [
      { id: `industry.${industry}.channel`, text: `${industry} buyers are reached best through ${channel}.` },
    ],
  };
}

/** The regional habit, for an agent specialised in the segment's region. */
function regionChannel(s: SegmentFacts, region: Region): ChannelClaim | null {
  const choose = s.region === region ? REGION_CHANNEL[region] : undefined;
  if (!choose) return null;
  const channel = choose(s.dealBand);
  return {
    channel,
    basis: 'region',
    rules: [
      { id: `region.${region}.channel`, text: `In ${region}, ${channel} is the habitual primary channel.` },
    ],
  };
}

function generalChannel(s: SegmentFacts): ChannelClaim {
  const channel: Channel =
    s.dealBand === 'enterprise' ? 'sales_outreach' : s.dealBand === 'small' ? 'paid_search' : 'email';
  return {
    channel,
    basis: 'general',
    rules: [
      { id: 'general.channel-by-band', text: `By deal band (${s.dealBand ?? 'unknown'}): ${channel}.` },
    ],
  };
}

/** Channels regional law rules out for cold outreach. */
function excludedChannels(s: SegmentFacts, k: Knowledge): Set<Channel> {
  return k.region === 'dach' && s.region === 'dach' ? new Set(['sales_outreach', 'email']) : new Set();
}

/** The pipeline of one agent, given the statistical and industry claims it can use. */
export function composeChannel(
  s: SegmentFacts,
  k: Knowledge,
  metrics: ChannelClaim | null,
  industry: ChannelClaim | null,
): ChannelClaim {
  const excluded = excludedChannels(s, k);
  const legal = (reason: string): RuleNote => ({ id: 'legal.dach.no-cold-outreach', text: reason });
  let vetoed = false;
  let choice: ChannelClaim;
  if (metrics && !excluded.has(metrics.channel)) choice = metrics;
  else {
    vetoed = metrics !== null;
    choice = industry ?? (k.region ? regionChannel(s, k.region) : null) ?? generalChannel(s);
  }
  if (excluded.has(choice.channel)) {
    return {
      channel: 'events',
      basis: 'legal',
      rules: [
        ...choice.rules,
        legal('DACH (GDPR, UWG): no cold calls or cold e-mail; events and opt-in content instead.'),
      ],
    };
  }
  if (vetoed && metrics) {
    return {
      ...choice,
      basis: 'legal',
      rules: [
        ...choice.rules,
        legal(`The data favours ${metrics.channel}, but cold ${metrics.channel} is not allowed in DACH.`),
      ],
    };
  }
  return choice;
}

/** Factors someone else at the table could answer. */
export function segmentOpen(s: SegmentFacts, k: Knowledge, available: Available): Factor[] {
  const open: Factor[] = [];
  if (s.industry !== null && k.industry !== s.industry && available.industries.includes(s.industry)) {
    open.push('industry');
  }
  if (s.region !== null && k.region !== s.region && available.regions.includes(s.region)) open.push('region');
  const enoughData = (s.stats?.byChannel ?? []).some((c) => c.leads >= 200);
  if (enoughData && !k.metrics && available.optimizers) open.push('metrics');
  return open;
}

const TONE: Partial<Record<Region, SegmentAnswer['tone']>> = {
  dach: 'formal',
  apac: 'formal',
  uk: 'neutral',
  north_america: 'casual',
  latam: 'casual',
};

const INDUSTRY_MESSAGES: Record<string, string> = {
  saas: 'Time to value: live in days, with integrations to the tools the team already uses.',
  healthcare: 'Compliance first: HIPAA/GDPR documentation and data-processing terms up front.',
  finance: 'Security and auditability: SOC 2, role-based access, full audit trail.',
  manufacturing: 'Uptime and ROI per site: fewer manual steps between inquiry and quote.',
  retail: 'Seasonality-ready: campaigns planned around peak season, omnichannel attribution.',
};

const COMPLIANCE: Partial<Record<Region, string>> = {
  dach: 'GDPR and UWG: opt-in before e-mail or calls; data processing in the EU.',
  uk: 'PECR: corporate subscribers may be e-mailed with an opt-out; sole traders need consent.',
  north_america: 'CAN-SPAM (US) opt-out; CASL (Canada) express consent before e-mail.',
  latam: 'LGPD (Brazil): consent for marketing messages.',
  apac: 'Spam Act (AU) and PDPA (SG): consent and identification in every message.',
};

/** The plan around a primary channel. */
export function buildPlan(s: SegmentFacts, k: Knowledge, claim: ChannelClaim): SegmentAnswer {
  const excluded = excludedChannels(s, k);
  const messaging: string[] = [];
  if (k.industry && s.industry === k.industry) messaging.push(INDUSTRY_MESSAGES[k.industry] ?? '');
  if (s.dealBand === 'enterprise')
    messaging.push('A business case per stakeholder: cost of slow lead handling.');
  if (s.dealBand === 'small') messaging.push('Quick start: self-serve setup, value in the first week.');
  messaging.push('Faster, better-qualified leads for sales, with every decision explained.');
  const channels: SegmentAnswer['channels'] = [
    { channel: claim.channel, role: 'primary', why: claim.rules.at(-1)?.text ?? 'Chosen by the rules.' },
  ];
  const ranked = [...(s.stats?.byChannel ?? [])].sort((a, b) => b.low - a.low);
  const support = ranked.find(
    (c) => isChannel(c.channel) && c.channel !== claim.channel && !excluded.has(c.channel),
  );
  if (support && isChannel(support.channel)) {
    channels.push({
      channel: support.channel,
      role: 'support',
      why: `Converts at ${percent(support.rate)} (${support.leads} leads).`,
    });
  }
  for (const channel of excluded) {
    channels.push({ channel, role: 'avoid', why: 'Cold outreach is not allowed for this region.' });
  }
  const compliance: string[] = [];
  const region = k.region && s.region === k.region ? k.region : null;
  if (region && COMPLIANCE[region]) compliance.push(COMPLIANCE[region] ?? '');
  if (k.industry === 'healthcare' && s.industry === 'healthcare')
    compliance.push('HIPAA: no patient data in marketing systems.');
  if (k.industry === 'finance' && s.industry === 'finance')
    compliance.push('Financial promotions rules: claims must be substantiated.');
  return {
    primaryChannel: claim.channel,
    tone: (region ? TONE[region] : undefined) ?? 'neutral',
    messaging: messaging.filter((m) => m !== '').slice(0, 10),
    channels,
    compliance,
  };
}

/** Confidence of a channel claim. */
export function channelConfidence(claim: ChannelClaim, open: readonly Factor[]): number {
  const base: Record<Basis, number> = {
    legal: 0.9,
    metrics: 0.88,
    industry: 0.82,
    region: 0.78,
    general: 0.7,
    disqualify: 0.5,
    handoff: 0.5,
  };
  const value = base[claim.basis];
  return open.length > 0 ? Math.round(value * 0.7 * 100) / 100 : value;
}
