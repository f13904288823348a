import { authorityAtLeast, type LeadFacts } from './context.ts';
import type { Available, Knowledge } from './knowledge.ts';
import type { RuleNote } from './question-schemas.ts';
import type { Basis, Factor, Industry, NextAction, Region } from './vocabulary.ts';
import { percent } from './wilson.ts';

/**
 * The `lead.next_action` rule book, split by who knows what. The order of evaluation is:
 * disqualify → handoff → general (with statistics for an uncertain score, if an optimizer) →
 * industry (replaces) or, failing that, regional commercial rules (transform the general answer)
 * → regional legal rules (consent; transform whatever came before).
 */

/** An answer with what it rests on. */
export interface ActionClaim {
  action: NextAction;
  basis: Basis;
  rules: RuleNote[];
  /** Facts to ask the lead for, when the action is `ask_for_info`. */
  missing: string[];
}

const claim = (action: NextAction, basis: Basis, rule: RuleNote, missing: string[] = []): ActionClaim => ({
  action,
  basis,
  rules: [rule],
  missing,
});

/** A budget below 1,000 USD (or a declared deal that small) disqualifies. */
function disqualifyRule(f: LeadFacts): ActionClaim | null {
  if (f.dealSizeUsd === null || f.dealSizeUsd >= 1000) return null;
  return claim('disqualify', 'disqualify', {
    id: 'general.min-budget',
    text: `The budget (about ${f.dealSizeUsd} USD a year) is below the 1,000 USD minimum.`,
  });
}

/** A visitor who asked for a person gets one; the request is also consent to be contacted. */
function handoffRule(f: LeadFacts): ActionClaim | null {
  if (!f.handoffRequested) return null;
  return claim('route_to_rep', 'handoff', {
    id: 'general.handoff',
    text: 'The visitor asked to talk to a person during the chat.',
  });
}

/** Whether the general rule reached the score step (where statistics can change the answer). */
function reachesScoreStep(f: LeadFacts): boolean {
  const enterprise = f.dealSizeUsd !== null && f.dealSizeUsd >= 100_000 && f.needKnown;
  return !enterprise && f.needKnown && f.authority !== null;
}

/** The general rule; with `useMetrics` an uncertain score is settled by the segment's conversion. */
function generalRule(f: LeadFacts, useMetrics: boolean): ActionClaim {
  if (f.dealSizeUsd !== null && f.dealSizeUsd >= 100_000 && f.needKnown) {
    return claim('route_to_rep', 'general', {
      id: 'general.enterprise',
      text: `An enterprise-size deal (about ${f.dealSizeUsd} USD) with a stated need goes to a rep.`,
    });
  }
  if (!f.needKnown || f.authority === null) {
    const missing = [...(f.needKnown ? [] : ['need']), ...(f.authority === null ? ['authority'] : [])];
    return claim(
      'ask_for_info',
      'general',
      { id: 'general.missing-info', text: `Missing before a decision: ${missing.join(' and ')}.` },
      missing,
    );
  }
  if (useMetrics && f.scoreUncertain && f.segmentConversion !== null) {
    const { low, high, leads } = f.segmentConversion;
    const route = low >= 0.2;
    return claim(route ? 'route_to_rep' : 'start_nurture', 'metrics', {
      id: 'metrics.segment-conversion',
      text: `The score is uncertain, so the segment decides: it converts at ${percent(low)}–${percent(high)} (95% interval, ${leads} leads), ${route ? 'at or above' : 'below'} the 20% bar for rep time.`,
    });
  }
  const score = f.score ?? 0;
  const soon = f.timelineDays !== null && f.timelineDays <= 90;
  if (score >= f.threshold && soon) {
    return claim('route_to_rep', 'general', {
      id: 'general.score-timeline',
      text: `Score ${score} reaches the threshold ${f.threshold} and the timeline is within 90 days.`,
    });
  }
  return claim('start_nurture', 'general', {
    id: 'general.nurture',
    text:
      score >= f.threshold
        ? `Score ${score} reaches the threshold but ${f.timelineDays === null ? 'no timeline is known' : `the timeline is ${f.timelineDays} days out`}.`
        : `Score ${score} is below the threshold ${f.threshold}.`,
  });
}

function inPeakFreeze(date: string): boolean {
  const monthDay = date.slice(5, 10);
  return monthDay >= '11-15' && monthDay <= '12-31';
}

/** The industry rule, when it fires (it replaces the general answer). */
function industryRule(f: LeadFacts, industry: Industry): ActionClaim | null {
  switch (industry) {
    case 'healthcare':
      if (f.authority === null || !authorityAtLeast(f.authority, 'director')) {
        return claim(
          'ask_for_info',
          'industry',
          {
            id: 'industry.healthcare.sponsor',
            text: 'Healthcare purchases need a director-level sponsor for the compliance review; none is known yet.',
          },
          ['sponsor'],
        );
      }
      return null;
    case 'finance':
      if (f.dealSizeUsd !== null && f.dealSizeUsd >= 50_000 && f.needKnown) {
        return claim('route_to_rep', 'industry', {
          id: 'industry.finance.security-review',
          text: 'Financial-services deals of 50k USD or more go to a rep early: security and procurement reviews take months.',
        });
      }
      return null;
    case 'manufacturing':
      if (f.timelineDays === null && (f.dealSizeUsd === null || f.dealSizeUsd >= 10_000)) {
        return claim(
          'ask_for_info',
          'industry',
          {
            id: 'industry.manufacturing.capex',
            text: 'Manufacturing budgets follow capex cycles: without a timeline the deal cannot be planned.',
          },
          ['timeline'],
        );
      }
      return null;
    case 'saas':
      if (f.dealSizeUsd !== null && f.dealSizeUsd < 10_000) {
        return claim('start_nurture', 'industry', {
          id: 'industry.saas.self-serve',
          text: 'SaaS deals under 10k USD are served best by a self-serve trial, not rep time.',
        });
      }
      return null;
    case 'retail':
      if (f.timelineDate !== null && inPeakFreeze(f.timelineDate)) {
        return claim('start_nurture', 'industry', {
          id: 'industry.retail.peak-freeze',
          text: 'The timeline falls in the retail peak-season freeze (15 Nov – 31 Dec); follow up in January.',
        });
      }
      return null;
    default:
      return null;
  }
}

/** Regional commercial rules: they transform the general answer (never an industry one). */
function regionRule(f: LeadFacts, region: Region, general: ActionClaim): ActionClaim | null {
  const score = f.score ?? 0;
  const days = f.timelineDays;
  switch (region) {
    case 'north_america':
      if (general.action === 'start_nurture' && score >= 50 && days !== null && days <= 30) {
        return claim('route_to_rep', 'region', {
          id: 'region.north-america.speed-to-lead',
          text: `North America: a lead scoring ${score} with a timeline ${days} days out is called now (speed to lead).`,
        });
      }
      return null;
    case 'apac':
      if (general.action === 'route_to_rep' && f.dealSizeUsd !== null && f.dealSizeUsd < 25_000) {
        return claim('start_nurture', 'region', {
          id: 'region.apac.partner-led',
          text: 'APAC: deals under 25k USD are served by partners and self-serve rather than direct reps.',
        });
      }
      return null;
    case 'latam': {
      const mid = f.dealSizeUsd !== null && f.dealSizeUsd >= 10_000 && f.dealSizeUsd < 100_000;
      if (general.action === 'start_nurture' && mid && score >= 60 && days !== null && days <= 90) {
        return claim('route_to_rep', 'region', {
          id: 'region.latam.rep-assisted',
          text: `LATAM: mid-size deals scoring 60 or more with a timeline within 90 days are rep-assisted (score ${score}).`,
        });
      }
      return null;
    }
    default:
      return null;
  }
}

/** Regional consent rules: a contact the lead has not consented to becomes a request for consent. */
function legalRule(f: LeadFacts, region: Region, current: ActionClaim): ActionClaim {
  const ask = (id: string, text: string): ActionClaim => ({
    action: 'ask_for_info',
    basis: 'legal',
    rules: [...current.rules, { id, text }],
    missing: ['consent'],
  });
  if (region === 'dach') {
    if (current.action === 'route_to_rep' && !f.consentSalesContact) {
      return ask(
        'legal.dach.sales-consent',
        'DACH (GDPR, UWG): no rep contact without consent to sales contact; ask for it first.',
      );
    }
    if (current.action === 'start_nurture' && !f.consentMarketing) {
      return ask(
        'legal.dach.marketing-consent',
        'DACH (GDPR): no nurture e-mails without marketing consent.',
      );
    }
  }
  if (current.action === 'start_nurture' && !f.consentMarketing) {
    if (region === 'north_america' && f.country === 'CA') {
      return ask('legal.canada.casl', 'Canada (CASL): nurture e-mails need express marketing consent.');
    }
    if (region === 'latam' && f.country === 'BR') {
      return ask('legal.brazil.lgpd', 'Brazil (LGPD): nurture messages need marketing consent.');
    }
    if (region === 'uk' && f.employees !== null && f.employees <= 1) {
      return ask(
        'legal.uk.pecr-sole-trader',
        'UK (PECR): a sole trader needs marketing consent before nurture.',
      );
    }
  }
  return current;
}

/**
 * A withdrawal the person made (consent withdrawn, or an objection) holds in every region and
 * outranks every habit: the contact it forbids is not proposed.
 */
function withdrawnRule(f: LeadFacts, current: ActionClaim): ActionClaim {
  const hold = (id: string, text: string): ActionClaim => ({
    action: 'ask_for_info',
    basis: 'legal',
    rules: [...current.rules, { id, text }],
    missing: ['consent'],
  });
  if (current.action === 'start_nurture' && f.marketingWithdrawn)
    return hold(
      'legal.withdrawn.email-marketing',
      'The person withdrew consent to marketing e-mail: no nurture e-mails (GDPR Art. 7(3), 21(3); CAN-SPAM opt-out).',
    );
  if (current.action === 'route_to_rep' && f.salesContactWithdrawn)
    return hold(
      'legal.withdrawn.sales-contact',
      'The person withdrew consent to sales calls: no rep contact by phone.',
    );
  return current;
}

/** The full pipeline for one agent, given the best general answer and industry claim it can use. */
function compose(
  f: LeadFacts,
  k: Knowledge,
  general: ActionClaim,
  industry: ActionClaim | null,
): ActionClaim {
  const early = disqualifyRule(f) ?? handoffRule(f);
  if (early) return early;
  let current = industry ?? (k.region ? (regionRule(f, k.region, general) ?? general) : general);
  if (k.region) current = legalRule(f, k.region, current);
  return withdrawnRule(f, current);
}

/** The factors this agent cannot assess and someone at the table could. */
function uncoveredFactors(f: LeadFacts, k: Knowledge, available: Available): Factor[] {
  const open: Factor[] = [];
  if (f.industry !== null && k.industry !== f.industry && available.industries.includes(f.industry)) {
    open.push('industry');
  }
  if (f.region !== null && k.region !== f.region && available.regions.includes(f.region)) open.push('region');
  if (f.scoreUncertain && !k.metrics && available.optimizers && f.segmentConversion !== null)
    open.push('metrics');
  return open;
}

const ACTIONS_OPEN: NextAction[] = ['route_to_rep', 'start_nurture', 'ask_for_info'];

/**
 * Whether the agent's answer holds whatever the uncovered factors turn out to be: every industry
 * answer, either statistical answer, any regional transform. Used to stop the cascade early.
 */
function isRobust(f: LeadFacts, k: Knowledge, open: readonly Factor[], general: ActionClaim): boolean {
  if (disqualifyRule(f) || handoffRule(f)) return true;
  const generals: NextAction[] =
    open.includes('metrics') && reachesScoreStep(f) ? ['route_to_rep', 'start_nurture'] : [general.action];
  const industries: Array<NextAction | null> = open.includes('industry')
    ? [null, ...ACTIONS_OPEN]
    : [k.industry ? (industryRule(f, k.industry)?.action ?? null) : null];
  const outcomes = new Set<NextAction>();
  for (const g of generals) {
    for (const ind of industries) {
      const base: ActionClaim = { ...general, action: g };
      const industryClaim = ind === null ? null : { ...base, action: ind, basis: 'industry' as const };
      const composed = compose(f, k, base, industryClaim).action;
      if (open.includes('region') && composed !== 'ask_for_info') {
        for (const action of ACTIONS_OPEN) outcomes.add(action);
      } else {
        outcomes.add(composed);
      }
    }
  }
  return outcomes.size === 1;
}

const BASE_CONFIDENCE: Record<Basis, number> = {
  disqualify: 0.95,
  handoff: 0.92,
  legal: 0.9,
  industry: 0.85,
  region: 0.8,
  metrics: 0.75,
  general: 0.78,
};

/** Confidence of a claim: by its basis, sharper when the statistics are far from the bar. */
function claimConfidence(f: LeadFacts, c: ActionClaim, robust: boolean): number {
  let confidence = BASE_CONFIDENCE[c.basis];
  if (c.basis === 'metrics' && f.segmentConversion) {
    confidence = 0.7 + Math.min(0.2, Math.abs(f.segmentConversion.low - 0.2) * 2);
  }
  if (c.basis === 'general' && f.score !== null && Math.abs(f.score - f.threshold) <= 3) confidence -= 0.08;
  return Math.round((robust ? confidence : confidence * 0.7) * 100) / 100;
}

/** An agent's own proposal. */
export function proposeAction(
  f: LeadFacts,
  k: Knowledge,
  available: Available,
): { claim: ActionClaim; open: Factor[]; confidence: number } {
  const general = generalRule(f, k.metrics);
  const industry = k.industry ? industryRule(f, k.industry) : null;
  const result = compose(f, k, general, industry);
  const open = disqualifyRule(f) || handoffRule(f) ? [] : uncoveredFactors(f, k, available);
  const robust = isRobust(f, k, open, general);
  return { claim: result, open: robust ? [] : open, confidence: claimConfidence(f, result, robust) };
}

/** Another member's claim as the critique round sees it. */
export interface PeerClaim {
  agentId: string;
  action: NextAction;
  basis: Basis;
  missing: string[];
}

/**
 * The critique: the agent recomputes its pipeline with the best inputs the table offers — a
 * statistical general answer from an optimizer, and (if it holds later-stage rules, i.e. regional
 * ones) the industry specialist's answer — then applies its own rules on top.
 */
export function critiqueAction(
  f: LeadFacts,
  k: Knowledge,
  peers: readonly PeerClaim[],
): { claim: ActionClaim; confidence: number } {
  let general = generalRule(f, k.metrics);
  const statistical = peers.find((peer) => peer.basis === 'metrics');
  if (general.basis !== 'metrics' && statistical) {
    general = {
      action: statistical.action,
      basis: 'metrics',
      rules: [{ id: 'peer.metrics', text: `Adopted the segment statistics of ${statistical.agentId}.` }],
      missing: [],
    };
  }
  let industry = k.industry ? industryRule(f, k.industry) : null;
  const peerIndustry = peers.find((peer) => peer.basis === 'industry');
  if (!industry && !k.industry && k.region && peerIndustry) {
    industry = {
      action: peerIndustry.action,
      basis: 'industry',
      rules: [{ id: 'peer.industry', text: `Adopted the industry rule of ${peerIndustry.agentId}.` }],
      missing: peerIndustry.missing,
    };
  }
  const result = compose(f, k, general, industry);
  return { claim: result, confidence: claimConfidence(f, result, true) };
}
