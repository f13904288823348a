import { authorityAtLeast, type LeadFacts } from './context.ts';
import type { Available, Knowledge } from './knowledge.ts';
import type { ResearchAnswer, RuleNote } from './question-schemas.ts';
import { safeDisplayCompany } from './safety.ts';
import type { LeadHistoryItem, LeadSnapshot } from './tools-port.ts';
import type { Basis, Factor, FitClass, Industry } from './vocabulary.ts';

/**
 * `lead.research`: the account brief. Fit follows a generic B2B model unless the researcher
 * specialises in the lead's industry, whose ideal-customer profile replaces it.
 */

interface FitClaim {
  fit: FitClass;
  basis: Basis;
  rule: RuleNote;
}

function knownFacts(f: LeadFacts): number {
  return [f.industry !== null, f.employees !== null, f.country !== null, f.authority !== null].filter(Boolean)
    .length;
}

function atLeast(f: LeadFacts, minimum: 'manager' | 'director'): boolean {
  return f.authority !== null && authorityAtLeast(f.authority, minimum);
}

function industryFit(f: LeadFacts, industry: Industry, employees: number): FitClass | null {
  switch (industry) {
    case 'saas':
      if (employees < 20) return 'weak';
      if (employees <= 2000) return atLeast(f, 'manager') ? 'strong' : 'moderate';
      return 'moderate';
    case 'healthcare':
      if (employees < 20) return 'weak';
      if (employees < 200) return 'moderate';
      return atLeast(f, 'director') ? 'strong' : 'moderate';
    case 'finance':
      return employees < 50 ? 'weak' : employees < 500 ? 'moderate' : 'strong';
    case 'manufacturing':
      return employees < 20 ? 'weak' : employees < 100 ? 'moderate' : 'strong';
    case 'retail':
      return employees < 50 ? 'weak' : employees < 200 ? 'moderate' : 'strong';
    default:
      return null;
  }
}

const PROFILE_TEXT: Partial<Record<Industry, string>> = {
  saas: 'SaaS profile: strong at 20–2,000 employees with a manager or above.',
  healthcare: 'Healthcare profile: strong from 200 employees with a director-level sponsor.',
  finance: 'Financial-services profile: strong from 500 employees, moderate from 50.',
  manufacturing: 'Manufacturing profile: strong from 100 employees, moderate from 20.',
  retail: 'Retail profile: strong from 200 employees, moderate from 50.',
};

/** The fit an agent with knowledge `k` assigns. */
export function fitClaim(f: LeadFacts, k: Knowledge): FitClaim {
  if (knownFacts(f) < 2) {
    return {
      fit: 'unknown',
      basis: 'general',
      rule: {
        id: 'general.fit.too-little',
        text: 'Fewer than two of industry, size, country and role are known.',
      },
    };
  }
  if (f.employees === null) {
    return {
      fit: 'moderate',
      basis: 'general',
      rule: {
        id: 'general.fit.size-unknown',
        text: 'Company size is unknown, so fit cannot be better than moderate.',
      },
    };
  }
  if (k.industry !== null && k.industry === f.industry) {
    const fit = industryFit(f, k.industry, f.employees);
    if (fit !== null) {
      return {
        fit,
        basis: 'industry',
        rule: { id: `industry.${k.industry}.profile`, text: PROFILE_TEXT[k.industry] ?? 'Industry profile.' },
      };
    }
  }
  const fit: FitClass =
    f.employees < 10 ? 'weak' : f.employees < 50 ? 'moderate' : atLeast(f, 'manager') ? 'strong' : 'moderate';
  return {
    fit,
    basis: 'general',
    rule: {
      id: 'general.fit.profile',
      text: 'Generic B2B profile: strong from 50 employees with a manager or above, moderate from 10.',
    },
  };
}

/** Whether another researcher's industry profile could change the fit. */
export function researchOpen(f: LeadFacts, k: Knowledge, available: Available, claim: FitClaim): Factor[] {
  if (claim.fit === 'unknown' || f.employees === null) return [];
  if (f.industry !== null && k.industry !== f.industry && available.industries.includes(f.industry)) {
    return ['industry'];
  }
  return [];
}

/** Builds the brief around a fit. */
export function buildBrief(
  f: LeadFacts,
  k: Knowledge,
  lead: LeadSnapshot | null,
  history: readonly LeadHistoryItem[],
  fit: FitClaim,
): ResearchAnswer {
  const company = safeDisplayCompany(lead?.company);
  const signals: string[] = [];
  if (f.needKnown) signals.push('A need was stated in the qualification chat.');
  if (f.timelineDays !== null && f.timelineDays <= 90)
    signals.push(`Plans to start within ${f.timelineDays} days.`);
  if (f.dealSizeUsd !== null) signals.push(`Budget of about ${f.dealSizeUsd} USD a year.`);
  if (f.authority !== null && atLeast(f, 'director')) signals.push(`Contact is at ${f.authority} level.`);
  if (f.score !== null && f.score >= f.threshold)
    signals.push(`Score ${f.score} reaches the threshold ${f.threshold}.`);
  const risks: string[] = [];
  if (f.authority !== null && !atLeast(f, 'manager')) risks.push('The contact may not be a decision maker.');
  if (f.timelineDays !== null && f.timelineDays > 180)
    risks.push('The timeline is more than six months out.');
  if (f.employees !== null && f.employees < 10) risks.push('A very small company: budget and process risk.');
  if (k.industry === 'healthcare' && f.industry === 'healthcare') {
    risks.push('Compliance review (HIPAA/GDPR) will be part of the purchase.');
  }
  if (k.industry === 'finance' && f.industry === 'finance')
    risks.push('Expect a security and procurement review.');
  if (k.industry === 'manufacturing' && f.industry === 'manufacturing') {
    risks.push('Budgets follow the capex cycle; confirm the planning year.');
  }
  if (k.industry === 'retail' && f.industry === 'retail') risks.push('Projects pause in the peak season.');
  const gaps: string[] = [];
  if (f.industry === null) gaps.push('industry');
  if (f.employees === null) gaps.push('company size');
  if (f.country === null) gaps.push('country');
  if (f.authority === null) gaps.push('role or authority');
  if (!f.needKnown) gaps.push('need');
  if (f.timelineDays === null) gaps.push('timeline');
  if (f.dealSizeUsd === null) gaps.push('budget');
  const times = history.map((item) => item.at).sort();
  const firstSeen = times[0] ?? lead?.createdAt ?? null;
  const lastActivity = times.at(-1) ?? null;
  const who = company ?? 'The account';
  const size = f.employees === null ? '' : `${f.employees}-employee `;
  const industry = f.industry === null ? 'company' : `${f.industry.replaceAll('_', ' ')} company`;
  const where = f.country === null ? '' : ` in ${f.country}`;
  return {
    fit: fit.fit,
    summary: `${who} is a ${size}${industry}${where}. Fit: ${fit.fit} (${fit.rule.text}) ${history.length} recorded touches${firstSeen ? ` since ${firstSeen.slice(0, 10)}` : ''}.`,
    firmographics: {
      company,
      industry: f.industry,
      region: f.region,
      country: f.country,
      employees: f.employees,
    },
    buyingSignals: signals.slice(0, 10),
    risks: risks.slice(0, 10),
    gaps: gaps.slice(0, 10),
    engagement: { touches: history.length, firstSeen, lastActivity },
  };
}

/** Confidence of a fit claim. */
export function fitConfidence(claim: FitClaim, open: readonly Factor[]): number {
  const base = claim.basis === 'industry' ? 0.85 : claim.fit === 'unknown' ? 0.8 : 0.75;
  return open.length > 0 ? Math.round(base * 0.7 * 100) / 100 : base;
}
