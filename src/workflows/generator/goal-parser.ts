import type { Trigger } from '../dsl/index.ts';

/**
 * Reads a plain-language goal into facts the play library composes from: the trigger, the
 * actions asked for, waits, conditions, channels and providers. Keyword rules, deterministic, no
 * model; anything it does not recognise is simply absent (the generator then refuses a goal with
 * no recognisable action).
 */

export interface GenerateConstraints {
  /** Lead regions or countries the workflow is for (e.g. `EU`, `US`, `DE`). */
  regions?: string[];
  industry?: 'general' | 'healthcare';
  crm?: 'hubspot' | 'salesforce';
  chat?: 'slack' | 'teams';
  timezone?: string;
  owners?: string[];
  /** Sender postal address for commercial e-mail. */
  postalAddress?: string;
}

export interface GoalFacts {
  text: string;
  trigger: Trigger;
  /** Why that trigger was chosen. */
  triggerReason: string;
  assign: 'round_robin' | 'territory' | 'capacity' | null;
  chat: 'slack' | 'teams' | null;
  emailLead: boolean;
  emailInternal: boolean;
  sms: boolean;
  crm: { provider: 'hubspot' | 'salesforce'; object: 'contact' | 'lead' | 'deal' } | null;
  http: { sharing: 'third_party' | 'service_provider'; purpose: string } | null;
  webhookOut: boolean;
  updateLead: { tags: string[]; status?: string } | null;
  sequence: boolean;
  council: boolean;
  startWorkflow: boolean;
  /** A delay before the main action, in ms. */
  delayMs: number | null;
  /** An SLA: wait for activity at most this long, then escalate. */
  slaMs: number | null;
  /** "One hour before the meeting": wait until a time the triggering event carries. */
  untilEvent: string | null;
  /** Repeat the main action up to this many times (bounded loop). */
  repeat: number | null;
  /** "Forever" was asked for: the loop is bounded anyway. */
  unbounded: boolean;
  /** A score threshold the goal mentions, with its direction. */
  score: { value: number; op: 'gte' | 'lt' } | null;
  freeEmail: boolean;
  titleContains: string | null;
  employeesOver: number | null;
  attendance: boolean;
  countries: string[] | null;
  /** The goal asks to skip consent, unsubscribe or opt-outs. */
  asksToSkipCompliance: boolean;
  healthData: boolean;
  wantsCode: boolean;
  destructive: boolean;
}

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  ten: 10,
  thirty: 30,
  sixty: 60,
  ninety: 90,
};
const UNIT: Record<string, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  'business day': 86_400_000,
  week: 604_800_000,
  month: 2_592_000_000,
};

function amount(word: string): number {
  return NUMBER_WORDS[word.toLowerCase()] ?? Number(word);
}

const DURATION =
  /\b(\d+|an?|one|two|three|four|five|six|seven|ten|thirty|sixty|ninety)[\s-]+(business day|minute|hour|day|week|month)s?\b/gi;

function durations(text: string): { ms: number; index: number; phrase: string }[] {
  return [...text.matchAll(DURATION)].map((m) => ({
    ms: amount(m[1] as string) * (UNIT[(m[2] as string).toLowerCase()] ?? 0),
    index: m.index ?? 0,
    phrase: m[0],
  }));
}

const CITY_TZ: [RegExp, string][] = [
  [/berlin|german/i, 'Europe/Berlin'],
  [/new york|eastern time|\bet\b/i, 'America/New_York'],
  [/london|\buk time\b/i, 'Europe/London'],
  [/paris/i, 'Europe/Paris'],
  [/san francisco|pacific time|\bpt\b/i, 'America/Los_Angeles'],
];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function scheduleOf(text: string, constraints: GenerateConstraints): Trigger | null {
  const t = text.toLowerCase();
  const weekly = WEEKDAYS.findIndex((d) => new RegExp(`\\bevery ${d}\\b`).test(t));
  const daily = /\b(every (day|morning|evening)|daily|each day)\b/.test(t);
  const monthly =
    /\b(monthly|every month)\b/.test(t) && !/monthly (newsletter|check-in|product update)/.test(t);
  const weeklyWord = /\bweekly|every week\b/.test(t) && !/\bweekly digest\b/.test(t) ? 1 : -1;
  if (weekly < 0 && !daily && !monthly && weeklyWord < 0 && !/\bweekly digest\b/.test(t)) return null;
  const time = /\bat (\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b/.exec(t);
  let hour = time ? (Number(time[1]) % 12) + (time[3] === 'pm' ? 12 : 0) : 9;
  if (time && !time[3]) hour = Number(time[1]);
  const minute = time?.[2] ? Number(time[2]) : 0;
  const dow = weekly >= 0 ? String(weekly) : daily ? '*' : monthly ? '*' : '1';
  const dom = monthly && weekly < 0 ? '1' : '*';
  const timezone = constraints.timezone ?? CITY_TZ.find(([re]) => re.test(text))?.[1] ?? 'UTC';
  return { type: 'schedule', cron: `${minute} ${hour} ${dom} * ${dow}`, timezone };
}

/** Country codes named in the goal (a few common names) or the constraints. */
function countriesOf(text: string, constraints: GenerateConstraints): string[] | null {
  const names: [RegExp, string][] = [
    [/\bgerman(y|s)?\b/i, 'DE'],
    [/\bfrench|france\b/i, 'FR'],
    [/\bspain|spanish\b/i, 'ES'],
    [/\bitaly|italian\b/i, 'IT'],
    [/\buk\b|united kingdom|britain|british/i, 'GB'],
    [/\bcalifornia\b|\bus\b|\bu\.s\.|united states|american/i, 'US'],
  ];
  const found = names.filter(([re]) => re.test(text)).map(([, c]) => c);
  const fromConstraints = (constraints.regions ?? []).filter((r) => /^[A-Z]{2}$/.test(r));
  const all = [...new Set([...found, ...fromConstraints])];
  return all.length > 0 ? all : null;
}

export function parseGoal(goal: string, constraints: GenerateConstraints = {}): GoalFacts {
  const text = goal.trim();
  const t = text.toLowerCase();
  const has = (re: RegExp) => re.test(t);

  const schedule = scheduleOf(text, constraints);
  let trigger: Trigger;
  let triggerReason: string;
  const scoreCross =
    /score (crosses|goes above|exceeds|drops below|falls below|reaches|rises above)\s*(\d+)/.exec(t);
  if (schedule) {
    trigger = schedule;
    triggerReason = `the goal runs on a schedule (${schedule.type === 'schedule' ? schedule.cron : ''})`;
  } else if (has(/\bchat (conversation )?(ends|ended)|after a chat|chat ends/)) {
    trigger = { type: 'chat.ended' };
    triggerReason = 'the goal starts when a chat ends';
  } else if (has(/council (decides|decided)|whenever the council/)) {
    trigger = { type: 'council.decided' };
    triggerReason = 'the goal reacts to council decisions';
  } else if (
    has(
      /meeting (is )?(booked|held|recorded)|no[- ]show|(don't|doesn't|does not|didn't) show up|deal is (won|lost)|marked lost|deals?\b.*\b(won|lost)|churned|booked (demo|meeting)/,
    )
  ) {
    const outcomes = has(/won/)
      ? ['won']
      : has(/lost|churn/)
        ? ['lost']
        : has(/no[- ]show|show up/)
          ? ['no_show']
          : ['meeting_booked', 'meeting_held'];
    trigger = { type: 'outcome.recorded', outcomes };
    triggerReason = `the goal reacts to a recorded outcome (${outcomes.join(', ')})`;
  } else if (
    has(
      /when (our|the|a) [\w -]*(posts?|sends?) [\w -]*webhook|posts to the webhook|webhook (arrives|is received)/,
    )
  ) {
    trigger = { type: 'webhook' };
    triggerReason = 'the goal starts from an inbound webhook';
  } else if (scoreCross) {
    const down = /drops|falls/.test(scoreCross[1] as string);
    trigger = {
      type: 'score.crossed',
      threshold: Math.min(100, Number(scoreCross[2])),
      ...(down ? { direction: 'down' as const } : {}),
    };
    triggerReason = `the goal reacts to the score crossing ${scoreCross[2]}`;
  } else if (
    (has(/qualif|sales[- ]ready|hot lead|is qualified/) && !has(/not (yet )?sales[- ]ready|disqualif/)) ||
    has(/(doesn't|does not|isn't) (touch|contacted)/)
  ) {
    // SLA clocks start when a lead is qualified and owned.
    trigger = { type: 'lead.qualified' };
    triggerReason = 'the goal is about qualified leads';
  } else {
    trigger = { type: 'lead.created' };
    triggerReason = 'the goal is about new leads';
  }

  const all = durations(text);
  const before = /\bbefore (their|the|a) [\w ]*?(meeting|trial ends|trial expires|event|webinar)/.exec(t);
  const sla =
    /(isn't|is not|not|doesn't|does not|don't|no)\b[^.]*?\b(contacted|touch|reply|replied|activity|respond)[^.]*?\bwithin\b|\bno activity for\b|\bwithin ([\w ]+?) (escalate|reassign)|isn't contacted/;
  const slaMatch = sla.test(t);
  const delayWords =
    /\bwait|after|later|next (morning|day)|the day after|apart|before .* (ends|expires)|\blater\b/;
  let delayMs: number | null = null;
  let slaMs: number | null = null;
  let untilEvent: string | null = null;
  if (before && all.length > 0)
    untilEvent = `${(all[0] as { phrase: string }).phrase} before the ${(before[2] as string).replace(/ (ends|expires)$/, ' end')}`;
  if (untilEvent) delayMs = null;
  else if (slaMatch && all.length > 0) slaMs = (all[0] as { ms: number }).ms;
  else if (slaMatch) slaMs = 86_400_000;
  else if (all.length > 0 && delayWords.test(t)) delayMs = (all[0] as { ms: number }).ms;
  else if (has(/next morning|the day after|next day/)) delayMs = 86_400_000;
  if (has(/every (\d+|two|three) days|one e-?mail every/))
    delayMs = all.find((d) => /day/.test(d.phrase))?.ms ?? 259_200_000;

  const repeatMatch = /up to (\d+|two|three|four|five) times|(\d+|two|three|four|five) times/.exec(t);
  const unbounded = has(/forever|until they (buy|purchase|convert)|keep (e-?mailing|sending|texting)/);
  const repeat = repeatMatch ? amount((repeatMatch[1] ?? repeatMatch[2]) as string) : unbounded ? 5 : null;

  const crmProvider = has(/salesforce/)
    ? 'salesforce'
    : has(/hubspot/)
      ? 'hubspot'
      : (constraints.crm ?? 'hubspot');
  const crm =
    has(/\bcrm\b|salesforce|hubspot/) && !has(/from the crm/)
      ? {
          provider: crmProvider as 'hubspot' | 'salesforce',
          object: has(/\bdeal\b/)
            ? ('deal' as const)
            : crmProvider === 'salesforce'
              ? ('lead' as const)
              : ('contact' as const),
        }
      : null;
  const adsLike = has(
    /\bads?\b|audience|retarget|linkedin|facebook|ad partners|ad platform|share all leads|sell/,
  );
  const http =
    adsLike || has(/\bapi\b|enrich/)
      ? {
          sharing: adsLike ? ('third_party' as const) : ('service_provider' as const),
          purpose: adsLike ? 'ad audience sync' : 'enrichment',
        }
      : null;
  const webhookOut =
    has(/signed webhook|webhook to|via (a )?(signed )?webhook|partner portal/) && trigger.type !== 'webhook';
  const sms = has(/\bsms\b|\btext (message|every|all|the|new|leads?|them|each|a reminder)|\btext leads\b/);
  const emailWord =
    /e-?mail|newsletter|drip|recording|welcome|reschedule|thank-you|check-in|pitch|promo|offer|referral|tips|follow[- ]?up|remind|blast|digest/;
  const internalEmail = has(
    /e-?mail (to )?(the )?(sales )?manager|escalate by e-?mail|send the sales manager|e-?mail .* to the (sales )?team/,
  );
  const emailLead =
    has(emailWord) &&
    !sms &&
    !(internalEmail && !has(/e-?mail (the lead|leads|each|them|every|our)/)) &&
    !has(/digest to slack|post a digest/);
  const chat = has(/\bteams\b|microsoft teams/)
    ? 'teams'
    : has(/slack|ping|notify|alert|post (in|to)|channel|digest/)
      ? (constraints.chat ?? 'slack')
      : null;
  const assign = has(/territor|region of|emea|north america|apac desk/)
    ? 'territory'
    : has(/capacity|least loaded|overloaded/)
      ? 'capacity'
      : has(
            /assign|route|routing|round[- ]?robin|reassign|give (it|each|them)|to a rep|next rep|to (a |the )?senior rep|intake coordinator|enterprise team|hand the account|call task/,
          )
        ? 'round_robin'
        : null;
  const tags: string[] = [];
  if (has(/low priority/)) tags.push('low-priority');
  if (has(/synced/)) tags.push('synced');
  if (has(/remove the hot tag|hot tag/)) tags.push('nurture');
  if (has(/tag them if they don't reply|tag them/)) tags.push('no-reply');
  const status = has(/disqualif/)
    ? 'disqualified'
    : has(/mark .* as trial|as trial/)
      ? 'trial'
      : has(/back to nurture/)
        ? 'nurturing'
        : undefined;
  const updateLead =
    tags.length > 0 || status || has(/store .* on the lead|company size/)
      ? { tags, ...(status ? { status } : {}) }
      : null;
  const score =
    /score (above|over|of at least|under|below|less than)\s*(\d+)/.exec(t) ??
    /\((?:score )?(above|over|under|below) (\d+)\)/.exec(t);

  return {
    text,
    trigger,
    triggerReason,
    assign,
    chat,
    emailLead,
    emailInternal: internalEmail,
    sms,
    crm,
    http,
    webhookOut,
    updateLead,
    sequence: has(/sequence|add (attendees|them) to (the |our )?nurture/),
    council: has(/council/) && trigger.type !== 'council.decided',
    startWorkflow: has(/run our .* workflow|start (the|our) .* workflow|another workflow/),
    delayMs,
    slaMs,
    untilEvent,
    repeat,
    unbounded,
    score: score
      ? { value: Number(score[2]), op: /above|over|at least/.test(score[1] as string) ? 'gte' : 'lt' }
      : null,
    freeEmail: has(/free e-?mail/),
    titleContains: has(/student/) ? 'student' : null,
    employeesOver: (() => {
      const m = /over (\d[\d,]*) employees|more than (\d[\d,]*) employees/.exec(t);
      return m ? Number(((m[1] ?? m[2]) as string).replace(/,/g, '')) : null;
    })(),
    attendance: has(/attend/),
    countries: countriesOf(text, constraints),
    asksToSkipCompliance: has(
      /without (asking|consent|permission)|don't need (their )?permission|no checks|even if they opted out|regardless of (their )?privacy|including people who unsubscribed|leave out the unsubscribe|cold e-?mail|buy a list/,
    ),
    healthData:
      has(/diagnos|medication|medical (details|history|record)|health details|symptom|treatment/) &&
      !has(/without any health details|no health/),
    wantsCode: has(
      /javascript|\bjs\b|require\(|child_process|\beval\b|shell command|\bexec\b|run this code|\| *sh\b/,
    ),
    destructive: has(/\b(delete|drop|truncate|wipe|erase)\b[^.]*\b(leads?|tables?|database|data|records?)\b/),
  };
}
