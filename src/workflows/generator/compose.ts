import type { Predicate, Step, Workflow } from '../dsl/index.ts';
import type { GenerateConstraints, GoalFacts } from './goal-parser.ts';
import { DAY, type Play } from './plays.ts';

/**
 * Composition of a draft workflow from a goal's parsed facts, in the way of the chosen play: the
 * steps in funnel order (qualify and segment, ask the council, wait, hand off to CRM and endpoints,
 * e-mail and SMS the lead, escalate on an SLA, update the lead), each with the reason it is there.
 */

export interface Draft {
  workflow: Workflow;
  /** Reason per step id. */
  reasons: Map<string, string>;
}

const FREE_DOMAINS = [
  'gmail.com',
  'yahoo.com',
  'hotmail.com',
  'outlook.com',
  'icloud.com',
  'gmx.de',
  'web.de',
  'aol.com',
];

type OpenEnd = { id: string; key: 'next' | 'onTrue' | 'onFalse' | 'onTimeout' | 'default' | 'body' };

class Builder {
  readonly steps: Step[] = [];
  readonly reasons = new Map<string, string>();
  open: OpenEnd[] = [];
  start: string | undefined;

  add(step: Step, reason: string, exits: OpenEnd['key'][] = ['next']): string {
    if (this.start === undefined) this.start = step.id;
    for (const end of this.open) {
      const s = this.steps.find((x) => x.id === end.id) as Record<string, unknown>;
      s[end.key] = step.id;
    }
    this.steps.push(step);
    this.reasons.set(step.id, reason);
    this.open = exits.map((key) => ({ id: step.id, key }));
    return step.id;
  }

  id(base: string): string {
    let id = base;
    for (let n = 2; this.steps.some((s) => s.id === id); n++) id = `${base}-${n}`;
    return id;
  }
}

function fmt(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} day${ms === DAY ? '' : 's'}`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hour${ms === 3_600_000 ? '' : 's'}`;
  return `${Math.round(ms / 60_000)} minutes`;
}

/** Composes a draft from the facts in the play's way. */
export function composeWorkflow(input: GoalFacts, play: Play, constraints: GenerateConstraints): Draft {
  const facts = play.tune ? play.tune(input) : input;
  const b = new Builder();
  const owners = (constraints.owners?.length ? constraints.owners : ['rep-1', 'rep-2', 'rep-3']).map(
    (id) => ({ id }),
  );
  const purpose = play.transactional ? 'transactional' : 'marketing';
  const emailLead = (id: string, subject: string, body: string, reason: string): string =>
    b.add(
      {
        id: b.id(id),
        type: 'send_email',
        to: 'lead',
        purpose,
        subject,
        body,
        ...(facts.asksToSkipCompliance && /unsubscribe link/i.test(facts.text)
          ? { unsubscribeLink: false }
          : {}),
      },
      reason,
    );

  if (facts.freeEmail || facts.titleContains || (facts.score && facts.trigger.type !== 'score.crossed')) {
    const when: Predicate = facts.freeEmail
      ? { field: 'lead.emailDomain', op: 'in', value: FREE_DOMAINS }
      : facts.titleContains
        ? { field: 'lead.title', op: 'contains', value: facts.titleContains }
        : { field: 'lead.score', op: facts.score?.op ?? 'gte', value: facts.score?.value ?? 50 };
    b.add(
      { id: 'check', type: 'condition', when },
      `only leads matching the goal's condition continue (${JSON.stringify(when)})`,
      ['onTrue'],
    );
  }
  if (facts.employeesOver !== null) {
    const sw = b.add(
      {
        id: 'segment',
        type: 'switch',
        cases: [
          {
            when: { field: 'lead.attributes.employees', op: 'gt', value: facts.employeesOver },
            label: 'enterprise',
          },
        ],
      },
      `enterprise leads (over ${facts.employeesOver} employees) and the rest go different ways`,
      [],
    );
    b.open = [{ id: sw, key: 'next' }];
    const enterprise = b.id('assign-enterprise');
    const s = b.steps.find((x) => x.id === sw) as Extract<Step, { type: 'switch' }>;
    (s.cases[0] as { next?: string }).next = enterprise;
    b.open = [];
    b.add(
      { id: enterprise, type: 'assign_owner', strategy: 'round_robin', owners: [{ id: 'enterprise-team' }] },
      'enterprise leads go to the enterprise team',
    );
    const afterEnterprise = b.open;
    b.open = [{ id: sw, key: 'default' }];
    b.add(
      { id: b.id('assign'), type: 'assign_owner', strategy: 'round_robin', owners },
      'other leads go round-robin to the SMB reps',
    );
    b.open = [...afterEnterprise, ...b.open];
  } else if (facts.assign && facts.slaMs === null) {
    b.add(
      {
        id: 'assign',
        type: 'assign_owner',
        strategy: facts.assign,
        owners:
          facts.assign === 'territory'
            ? [
                { id: 'emea', territories: ['EU', 'UK', 'EEA'] },
                { id: 'na', territories: ['US', 'CA'] },
                { id: 'apac', territories: ['APAC'] },
              ]
            : owners,
        ...(facts.assign !== 'round_robin' ? { fallbackOwner: 'sales-manager' } : {}),
      },
      `assign an owner (${facts.assign.replace('_', '-')}) so someone is accountable at once`,
    );
  }
  if (facts.council) {
    const id = b.add(
      {
        id: 'ask-council',
        type: 'ask_council',
        question: 'Should lead {{lead.id}} go to sales now or into nurture?',
        branches: [{ decision: 'route_to_rep' }],
      },
      'the AI council weighs the lead; its decision picks the branch (explained and audited by the council)',
      [],
    );
    const council = b.steps.find((s) => s.id === id) as Extract<Step, { type: 'ask_council' }>;
    b.open = [];
    (council.branches[0] as { next?: string }).next = b.add(
      { id: b.id('assign'), type: 'assign_owner', strategy: 'round_robin', owners },
      'the council says route to a rep: assign one',
    );
    const afterAssign = b.open;
    b.open = [{ id, key: 'default' }];
    b.add(
      { id: b.id('nurture'), type: 'add_to_sequence', sequence: 'nurture' },
      'otherwise the lead goes into the nurture sequence',
    );
    b.open = [...afterAssign, ...b.open];
  }
  if (facts.untilEvent !== null) {
    b.add(
      { id: 'wait-until', type: 'wait', wait: { kind: 'until', at: '{{trigger.remindAt}}' } },
      `wait until the reminder time the event carries (${facts.untilEvent})`,
    );
  }
  if (facts.delayMs !== null && facts.repeat === null && !/drip|three-email/.test(facts.text.toLowerCase())) {
    b.add(
      { id: 'wait', type: 'wait', wait: { kind: 'duration', ms: facts.delayMs } },
      `wait ${fmt(facts.delayMs)} as the goal asks`,
    );
  }
  if (facts.crm) {
    b.add(
      {
        id: 'crm',
        type: 'crm_upsert',
        provider: facts.crm.provider,
        object: facts.crm.object,
        credential: facts.crm.provider,
        matchOn: 'email',
        fields: {
          email: '{{lead.email}}',
          company: '{{lead.company}}',
          score: '{{lead.score}}',
          source: '{{lead.source}}',
        },
        ...(constraints.industry === 'healthcare' && /covered/.test(facts.text) ? { covered: true } : {}),
      },
      `create or update the ${facts.crm.object} in ${facts.crm.provider === 'hubspot' ? 'HubSpot' : 'Salesforce'} (${
        facts.crm.object === 'deal'
          ? "keyed by the run and step in the CRM's unique key field"
          : 'matched on e-mail'
      }, so retries never duplicate)`,
    );
  }
  if (facts.http) {
    const third = facts.http.sharing === 'third_party';
    b.add(
      {
        id: third ? 'audience-sync' : 'enrich',
        type: 'http_request',
        method: 'POST',
        url: third
          ? 'https://ads.example.com/v1/audiences/leads'
          : 'https://enrichment.example.com/v1/lookup',
        credential: third ? 'ads-api' : 'enrichment-api',
        body: { email: '{{lead.email}}', company: '{{lead.company}}' },
        sharing: facts.http.sharing,
        saveAs: third ? 'audience' : 'enrichment',
      },
      third
        ? 'send the lead to the ad platform’s audience API (a third-party share)'
        : 'call the enrichment API (a service provider) for company data',
    );
    if (!third && facts.updateLead === null) {
      b.add(
        {
          id: 'store',
          type: 'update_lead',
          set: { 'attributes.companySize': '{{vars.enrichment.companySize}}' },
        },
        'store what the enrichment returned on the lead',
      );
    }
  }
  if (facts.webhookOut) {
    b.add(
      {
        id: 'notify-partner',
        type: 'webhook',
        url: 'https://partner.example.com/leadloop',
        event: facts.trigger.type,
        secret: 'partner-webhook',
        sharing: 'service_provider',
        payload: { id: '{{lead.id}}', email: '{{lead.email}}', score: '{{lead.score}}' },
      },
      'send a webhook signed with Standard Webhooks so the receiver can verify it',
    );
  }
  if (facts.startWorkflow) {
    b.add(
      { id: 'run-onboarding', type: 'start_workflow', workflowId: 'onboarding', version: 'latest' },
      'start the shared onboarding workflow for this lead',
    );
  }
  if (facts.attendance && /webinar/.test(facts.text.toLowerCase()) && facts.sequence) {
    b.add(
      {
        id: 'attended',
        type: 'condition',
        when: { field: 'lead.attributes.webinarAttended', op: 'eq', value: true },
      },
      'attendees and no-shows get different follow-ups',
      ['onTrue', 'onFalse'],
    );
    const [yes, no] = b.open as [OpenEnd, OpenEnd];
    b.open = [yes];
    b.add(
      { id: 'nurture', type: 'add_to_sequence', sequence: 'nurture' },
      'attendees join the nurture sequence',
    );
    const afterYes = b.open;
    b.open = [no];
    emailLead(
      'send-recording',
      'The recording you missed',
      'Hi {{lead.name}}, here is the webinar recording.',
      'registrants who did not attend get the recording',
    );
    b.open = [...afterYes, ...b.open];
  } else if (facts.sequence && !facts.council) {
    b.add(
      { id: 'nurture', type: 'add_to_sequence', sequence: 'nurture' },
      'enrol the lead in the nurture sequence',
    );
  }
  if (facts.emailLead && !(facts.attendance && facts.sequence)) {
    if (facts.repeat !== null) {
      const loopId = b.add(
        { id: 'attempts', type: 'loop', body: 'x', maxIterations: facts.repeat },
        facts.unbounded
          ? `the goal asks for no end; the loop is bounded to ${facts.repeat} attempts`
          : `try at most ${facts.repeat} times`,
        ['body'],
      );
      emailLead(
        'follow-up',
        'Following up, {{lead.name}}',
        'Hi {{lead.name}}, just checking in.',
        'each attempt sends a follow-up e-mail',
      );
      b.add(
        {
          id: 'pause',
          type: 'wait',
          wait: { kind: 'duration', ms: facts.delayMs ?? (facts.unbounded ? 3_600_000 : 2 * DAY) },
        },
        'space the attempts out',
      );
      const pause = b.steps[b.steps.length - 1] as Extract<Step, { type: 'wait' }>;
      pause.next = loopId;
      b.open = [{ id: loopId, key: 'next' }];
    } else if (/drip|three-email/.test(facts.text.toLowerCase())) {
      for (let i = 1; i <= 3; i++) {
        if (i > 1)
          b.add(
            { id: `wait-${i}`, type: 'wait', wait: { kind: 'duration', ms: facts.delayMs ?? 3 * DAY } },
            `wait ${fmt(facts.delayMs ?? 3 * DAY)} between drip e-mails`,
          );
        emailLead(
          `drip-${i}`,
          `Part ${i}: getting more from {{lead.company}}`,
          `Hi {{lead.name}}, part ${i} of our series.`,
          `drip e-mail ${i} of 3`,
        );
      }
    } else {
      emailLead(
        'email',
        play.transactional ? 'Your next steps, {{lead.name}}' : 'A note for {{lead.name}}',
        'Hi {{lead.name}},\n\nThanks for your interest in us.',
        `e-mail the lead (${purpose})`,
      );
      if (play.id === 'trial-onboarding') {
        b.add(
          { id: 'wait-tips', type: 'wait', wait: { kind: 'duration', ms: 2 * DAY } },
          'tips arrive two days later',
        );
        emailLead(
          'tips',
          'Tips for your trial',
          'Hi {{lead.name}}, three tips to get started.',
          'trial tips e-mail',
        );
      }
      if (/tag them if they don't reply|don't reply in a week/.test(facts.text.toLowerCase())) {
        b.add(
          {
            id: 'wait-reply',
            type: 'wait',
            wait: { kind: 'event', event: 'email.replied', timeoutMs: 7 * DAY },
          },
          'wait up to a week for a reply',
          ['onTimeout'],
        );
      }
    }
  }
  if (facts.sms) {
    b.add(
      {
        id: 'sms',
        type: 'send_sms',
        to: 'lead',
        purpose: facts.asksToSkipCompliance ? 'marketing' : purpose,
        text: 'Hi {{lead.name}}, a quick note from our team.',
        credential: 'sms-provider',
      },
      'text the lead',
    );
  }
  if (facts.slaMs !== null) {
    // An SLA needs someone accountable: the play always assigns an owner before the clock starts.
    b.add(
      { id: b.id('assign'), type: 'assign_owner', strategy: facts.assign ?? 'round_robin', owners },
      'assign an owner who must act within the SLA',
    );
    b.add(
      { id: 'sla', type: 'wait', wait: { kind: 'event', event: 'lead.contacted', timeoutMs: facts.slaMs } },
      `wait up to ${fmt(facts.slaMs)} for the owner to contact the lead`,
      ['onTimeout'],
    );
    if (/reassign/.test(facts.text.toLowerCase()))
      b.add(
        { id: 'reassign', type: 'assign_owner', strategy: 'round_robin', owners },
        'nobody acted in time: give the lead to the next rep',
      );
    else if (facts.emailInternal)
      b.add(
        {
          id: 'escalate',
          type: 'send_email',
          to: 'sales-manager@example.com',
          purpose: 'internal',
          subject: 'SLA missed for {{lead.name}}',
          body: 'No activity on lead {{lead.id}} within the SLA.',
        },
        'nobody acted in time: e-mail the manager',
      );
    else
      b.add(
        {
          id: 'escalate',
          type: 'chat_message',
          channel: facts.chat ?? constraints.chat ?? 'slack',
          webhook: 'sales-managers',
          text: 'SLA missed: lead {{lead.name}} ({{lead.id}}) has not been contacted.',
        },
        'nobody acted in time: alert the manager',
      );
  } else {
    if (facts.emailInternal)
      b.add(
        {
          id: 'email-manager',
          type: 'send_email',
          to: 'sales-manager@example.com',
          purpose: 'internal',
          subject: 'Leads for today',
          body: 'New leads: {{trigger.count}}',
        },
        'e-mail the manager (internal, not marketing)',
      );
    if (facts.chat)
      b.add(
        {
          id: 'notify',
          type: 'chat_message',
          channel: facts.chat,
          webhook: facts.chat === 'teams' ? 'teams-sales' : 'slack-sales',
          text: 'Lead {{lead.name}} ({{lead.company}}, score {{lead.score}}) needs attention.',
        },
        `tell the team in ${facts.chat === 'teams' ? 'Microsoft Teams' : 'Slack'}`,
      );
  }
  if (facts.updateLead) {
    const { tags, status } = facts.updateLead;
    b.add(
      {
        id: 'update',
        type: 'update_lead',
        ...(tags.length > 0 ? { addTags: tags } : {}),
        ...(status ? { status } : {}),
        ...(tags.length === 0 && !status
          ? { set: { 'attributes.companySize': '{{vars.enrichment.companySize}}' } }
          : {}),
      },
      'record the result on the lead',
    );
  }
  if (b.steps.length === 0) b.add({ id: 'end', type: 'noop' }, 'nothing to do');

  const trigger = { ...facts.trigger };
  if (facts.countries && trigger.type !== 'schedule')
    trigger.filter = { field: 'lead.country', op: 'in', value: facts.countries };
  if (trigger.type === 'schedule' && (facts.emailLead || facts.sms)) {
    trigger.forEachLead = {
      limit: 10_000,
      ...(facts.countries
        ? { where: { field: 'lead.country', op: 'in', value: facts.countries } }
        : /inactive|quiet/.test(facts.text)
          ? { where: { field: 'lead.attributes.daysInactive', op: 'gte', value: 30 } }
          : {}),
    };
  }
  const workflow: Workflow = {
    schemaVersion: 1,
    name: play.title,
    description: facts.text.slice(0, 5000),
    triggers: [trigger],
    start: b.start as string,
    steps: b.steps,
    ...(constraints.industry || constraints.postalAddress
      ? {
          settings: {
            ...(constraints.industry ? { industry: constraints.industry } : {}),
            ...(constraints.postalAddress ? { sender: { postalAddress: constraints.postalAddress } } : {}),
          },
        }
      : {}),
  };
  return { workflow, reasons: b.reasons };
}
