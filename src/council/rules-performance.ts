import type { Available, Knowledge } from './knowledge.ts';
import { learnedFindings } from './learned-rates.ts';
import type { Recommendation, ReviewAnswer } from './question-schemas.ts';
import type { PerformanceMetrics } from './tools-port.ts';
import { type Factor, REVIEW_KINDS, type ReviewKind } from './vocabulary.ts';
import { percent, rateWithInterval } from './wilson.ts';

/**
 * `performance.review`: every optimizer checks the routing threshold; each domain optimizer also
 * checks its channel. The primary change is the first present in the fix-first order
 * raise_threshold → revise_playbook → change_workflow → lower_threshold → no_change.
 */

function thresholdFindings(m: PerformanceMetrics): Recommendation[] {
  const out: Recommendation[] = [];
  const routed = rateWithInterval(m.routed.conversions, m.routed.leads);
  if (m.routed.leads >= 30 && routed.high < 0.1) {
    const cut = Math.max(1, Math.round(m.routed.leads * 0.25));
    out.push({
      kind: 'raise_threshold',
      target: `routing threshold ${m.threshold}`,
      change: `Raise the routing threshold from ${m.threshold} to ${Math.min(100, m.threshold + 5)}.`,
      expectedEffect: `About ${cut} fewer leads a window reach reps (a quarter of today's volume), taken from the lowest scores; rep time moves to leads that convert.`,
      evidence: `Routed leads converted at ${percent(routed.rate)} (95% interval ${percent(routed.low)}–${percent(routed.high)}, ${routed.leads} leads): even the best case is below 10%.`,
    });
  }
  const near = rateWithInterval(m.nearThreshold.conversions, m.nearThreshold.leads);
  const routedRate = m.routed.leads > 0 ? m.routed.conversions / m.routed.leads : 0;
  if (m.nearThreshold.leads >= 30 && near.low >= 0.25 && routedRate >= 0.2) {
    out.push({
      kind: 'lower_threshold',
      target: `routing threshold ${m.threshold}`,
      change: `Lower the routing threshold from ${m.threshold} to ${Math.max(0, m.threshold - 5)}.`,
      expectedEffect: `About ${m.nearThreshold.leads} more leads a window reach reps; at ${percent(near.low)} or better that is at least ${Math.floor(m.nearThreshold.leads * near.low)} more conversions.`,
      evidence: `Nurtured leads just below the threshold converted at ${percent(near.rate)} (95% interval ${percent(near.low)}–${percent(near.high)}, ${near.leads} leads), while routed leads convert at ${percent(routedRate)}.`,
    });
  }
  return out;
}

function chatFindings(m: PerformanceMetrics): Recommendation[] {
  const out: Recommendation[] = [];
  for (const q of m.chat?.questions ?? []) {
    if (q.reached < 50) continue;
    const rate = q.dropped / q.reached;
    if (rate <= 0.35) continue;
    const interval = rateWithInterval(q.dropped, q.reached);
    out.push({
      kind: 'revise_playbook',
      target: `playbook question "${q.slot}"`,
      change: `Reword the ${q.slot} question, move it later in the playbook or make it optional.`,
      expectedEffect: `Halving its drop-off keeps about ${Math.round((q.dropped / 2) * 10) / 10} more visitors a window in the conversation.`,
      evidence: `${percent(rate)} of visitors who reached it left (95% interval ${percent(interval.low)}–${percent(interval.high)}, ${q.reached} reached).`,
    });
  }
  return out;
}

function emailFindings(m: PerformanceMetrics): Recommendation[] {
  const out: Recommendation[] = [];
  for (const step of m.email?.steps ?? []) {
    if (step.sent < 200) continue;
    const bounce = step.bounced / step.sent;
    const unsubscribe = step.unsubscribed / step.sent;
    if (bounce <= 0.05 && unsubscribe <= 0.01) continue;
    const bounceProblem = bounce > 0.05;
    out.push({
      kind: 'change_workflow',
      target: `workflow ${step.workflowId} step ${step.stepId}`,
      change: bounceProblem
        ? 'Verify addresses before this step and suppress hard bounces.'
        : 'Send this step less often and only to engaged recipients; revise its copy.',
      expectedEffect: bounceProblem
        ? `Bounces fall from ${percent(bounce)} to under 2% (about ${Math.max(0, step.bounced - Math.round(step.sent * 0.02))} fewer a window), protecting sender reputation.`
        : `Unsubscribes fall from ${percent(unsubscribe)} towards 0.5%, keeping about ${Math.max(0, step.unsubscribed - Math.round(step.sent * 0.005))} more contacts reachable a window.`,
      evidence: `${step.sent} sent, ${percent(bounce)} bounced, ${percent(unsubscribe)} unsubscribed.`,
    });
  }
  return out;
}

function paidFindings(m: PerformanceMetrics): Recommendation[] {
  const out: Recommendation[] = [];
  if (!m.paid || m.organic.leads < 100) return out;
  const organic = m.organic.qualified / m.organic.leads;
  for (const channel of m.paid.channels) {
    if (channel.leads < 100) continue;
    const rate = rateWithInterval(channel.qualified, channel.leads);
    if (rate.high >= 0.5 * organic) continue;
    out.push({
      kind: 'change_workflow',
      target: `paid channel ${channel.channel}`,
      change: `Send ${channel.channel} leads through the qualification chat before they reach reps; review targeting.`,
      expectedEffect: `Keeps about ${channel.leads - channel.qualified} unqualified leads a window away from reps.`,
      evidence: `${channel.channel} qualifies ${percent(rate.rate)} (95% interval up to ${percent(rate.high)}, ${channel.leads} leads) against ${percent(organic)} for organic.`,
    });
  }
  return out;
}

/**
 * The findings an optimizer with knowledge `k` reaches: per-segment threshold changes from rates
 * learned across the organisation's business units where enough outcomes exist, and the written
 * rules everywhere (each finding says which it rests on).
 */
export function reviewFindings(m: PerformanceMetrics, k: Knowledge): Recommendation[] {
  const findings = thresholdFindings(m);
  if (k.domain === 'chat_conversion') findings.push(...chatFindings(m));
  if (k.domain === 'outbound_email') findings.push(...emailFindings(m));
  if (k.domain === 'paid_acquisition') findings.push(...paidFindings(m));
  return [
    ...learnedFindings(m.learned, m.threshold),
    ...findings.map((f) => ({
      ...f,
      source: 'rule' as const,
      evidence: `Written rule: ${f.evidence}`.slice(0, 500),
    })),
  ];
}

/** The primary change among recommendations, in fix-first order. */
function primaryOf(recommendations: readonly Recommendation[]): ReviewKind {
  const kinds = new Set(recommendations.map((r) => r.kind));
  return REVIEW_KINDS.find((kind) => kinds.has(kind)) ?? 'no_change';
}

/** Merges recommendations, one per kind and target. */
export function mergeRecommendations(lists: ReadonlyArray<readonly Recommendation[]>): ReviewAnswer {
  const seen = new Map<string, Recommendation>();
  for (const list of lists)
    for (const r of list) if (!seen.has(`${r.kind}|${r.target}`)) seen.set(`${r.kind}|${r.target}`, r);
  const order = (kind: ReviewKind) => REVIEW_KINDS.indexOf(kind);
  const recommendations = [...seen.values()].sort((a, b) => order(a.kind) - order(b.kind)).slice(0, 12);
  return { primary: primaryOf(recommendations), recommendations };
}

/**
 * Triage: channels with visible symptoms (coarser than the specialists' rules) that this optimizer
 * does not cover and a specialist at the table does.
 */
export function reviewOpen(m: PerformanceMetrics, k: Knowledge, available: Available): Factor[] {
  const open: Factor[] = [];
  const chatDrop = Math.max(
    0,
    ...(m.chat?.questions ?? []).map((q) => (q.reached > 0 ? q.dropped / q.reached : 0)),
  );
  if (k.domain !== 'chat_conversion' && available.domains.includes('chat_conversion') && chatDrop >= 0.2) {
    open.push('chat');
  }
  const steps = m.email?.steps ?? [];
  const emailSymptom = steps.some(
    (s) => s.sent > 0 && (s.bounced / s.sent >= 0.03 || s.unsubscribed / s.sent >= 0.007),
  );
  if (k.domain !== 'outbound_email' && available.domains.includes('outbound_email') && emailSymptom) {
    open.push('email');
  }
  const organic = m.organic.leads > 0 ? m.organic.qualified / m.organic.leads : 0;
  const paidSymptom = (m.paid?.channels ?? []).some(
    (c) => c.leads >= 50 && c.qualified / c.leads < 0.7 * organic,
  );
  if (k.domain !== 'paid_acquisition' && available.domains.includes('paid_acquisition') && paidSymptom) {
    open.push('paid');
  }
  return open;
}

/** Confidence of a review: high when it found its problems, lower when symptoms wait for a specialist. */
export function reviewConfidence(open: readonly Factor[]): number {
  return open.length > 0 ? 0.6 : 0.85;
}
