import type { GoalFacts } from './goal-parser.ts';

/**
 * The offline play library: common growth plays, each recognised by words in the goal and each
 * adjusting how the parsed facts are composed (which e-mails are transactional, whether an SLA
 * escalates, how many drip e-mails…). `composeWorkflow` (compose.ts) turns facts + play into a
 * draft workflow and a reason for every step; guards are added afterwards by the compliance module.
 */

export interface Play {
  id: string;
  title: string;
  match: RegExp;
  /** Adjusts the facts for this play before composition. */
  tune?: (facts: GoalFacts) => GoalFacts;
  /** E-mail to the lead in this play is transactional (asked for by the person), not marketing. */
  transactional?: boolean;
}

export const DAY = 86_400_000;

export const PLAYS: readonly Play[] = [
  {
    id: 'speed-to-lead',
    title: 'Speed-to-lead routing',
    match: /qualif.*(assign|route|rep|rotation|ping)|route hot|hot leads?/,
    tune: (f) => ({ ...f, assign: f.assign ?? 'round_robin' }),
  },
  { id: 'territory-routing', title: 'Territory routing', match: /territor|emea|region of/ },
  { id: 'capacity-routing', title: 'Capacity routing', match: /capacity|overloaded/ },
  { id: 'nurture-sequence', title: 'Nurture sequence', match: /nurture|sequence|not sales-ready/ },
  {
    id: 'nurture-drip',
    title: 'Drip campaign',
    match: /drip|three-email|ebook/,
    tune: (f) => ({ ...f, emailLead: true, delayMs: f.delayMs ?? 3 * DAY }),
  },
  {
    id: 're-engagement',
    title: 'Re-engagement of inactive leads',
    match: /re-?engag|inactive|went quiet|cold leads|still interested/,
  },
  {
    id: 'meeting-follow-up',
    title: 'Meeting follow-up',
    match: /after a meeting|meeting is recorded|meeting (was )?held|follow-up e-?mail with the next steps/,
    transactional: true,
  },
  {
    id: 'no-show',
    title: 'No-show rescheduling',
    match: /no[- ]show|show up|reschedule/,
    transactional: true,
    tune: (f) => ({ ...f, delayMs: f.delayMs ?? DAY }),
  },
  { id: 'trial-onboarding', title: 'Trial onboarding', match: /trial/, transactional: true },
  { id: 'webinar-follow-up', title: 'Webinar follow-up', match: /webinar/ },
  {
    id: 'sla-escalation',
    title: 'SLA escalation to a manager',
    match: /escalat|isn't contacted|no activity|doesn't touch|reassign/,
  },
  { id: 'crm-handoff', title: 'Hand-off to CRM', match: /crm|salesforce|hubspot/ },
  { id: 'win-back', title: 'Win-back', match: /win back|lost|churned/ },
  { id: 'score-alert', title: 'Score threshold alert', match: /score crosses|crosses \d+/ },
  { id: 'score-drop', title: 'Score drop back to nurture', match: /drops below|falls below/ },
  { id: 'chat-follow-up', title: 'Chat follow-up', match: /chat/, transactional: true },
  { id: 'council-routing', title: 'AI council routing', match: /council/ },
  { id: 'enrichment', title: 'Lead enrichment', match: /enrich/ },
  {
    id: 'partner-webhook',
    title: 'Signed webhook to a partner system',
    match: /signed webhook|partner portal|data warehouse/,
  },
  { id: 'ad-audience', title: 'Ad audience sync', match: /audience|retarget|ad partners|ads api/ },
  { id: 'sms-reminder', title: 'SMS reminder', match: /\bsms\b|\btext\b/, transactional: true },
  { id: 'digest', title: 'Team digest', match: /digest|daily e-?mail at|no owner/ },
  { id: 'referral', title: 'Referral ask after a win', match: /referral|deal is won|customer success/ },
  {
    id: 'hygiene',
    title: 'Lead hygiene and disqualification',
    match: /free e-?mail|student|disqualif|low priority/,
  },
  { id: 'enterprise-routing', title: 'Segment routing (enterprise / SMB)', match: /enterprise|employees/ },
  { id: 'sub-workflow', title: 'Run a shared workflow', match: /run our .* workflow|onboarding workflow/ },
  {
    id: 'persistent-contact',
    title: 'Bounded follow-up attempts',
    match: /up to \w+ times|until they (reply|buy)|forever|keep e-?mailing/,
  },
  { id: 'event-follow-up', title: 'Event / trade-show follow-up', match: /trade show|scanned|event/ },
  {
    id: 'inbound-form',
    title: 'Inbound form to CRM',
    match: /form (posts|submission)|website form/,
    transactional: true,
  },
];

/** The best play for the facts: the most specific (longest) match, or a generic composition. */
export function choosePlay(facts: GoalFacts): Play {
  const t = facts.text.toLowerCase();
  const matches = PLAYS.filter((p) => p.match.test(t));
  return matches[0] ?? { id: 'custom', title: 'Composed from the goal', match: /$^/ };
}
