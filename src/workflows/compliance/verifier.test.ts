import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseWorkflow, type Step, type Workflow } from '../dsl/index.ts';
import { insertGuards } from './insert-guards.ts';
import { verifyWorkflow } from './verifier.ts';

const consent = { consent: { purposes: ['email_marketing'] } };
const mail = (id: string, next?: string): Step => ({
  id,
  type: 'send_email',
  to: 'lead',
  purpose: 'marketing',
  subject: 'Hello {{lead.name}}',
  body: 'Our news',
  ...(next ? { next } : {}),
});

/** A condition step: when `when` holds it goes on to `onTrue`, else to `onFalse` (either may be left out). */
const condition = (
  id: string,
  when: Extract<Step, { type: 'condition' }>['when'],
  onTrue?: string,
  onFalse?: string,
): Step => ({ id, type: 'condition', when, ...(onTrue ? { onTrue } : {}), ...(onFalse ? { onFalse } : {}) });
const scoreAtLeast50 = { field: 'lead.score', op: 'gte', value: 50 } as const;

function wf(steps: Step[], extra: Partial<Workflow> = {}): Workflow {
  const workflow: Workflow = {
    schemaVersion: 1,
    name: 'test',
    triggers: [{ type: 'lead.created' }],
    start: steps[0]?.id ?? 'x',
    steps,
    ...extra,
  };
  const parsed = parseWorkflow(workflow);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return workflow;
}

const rulesOf = (w: Workflow, opts = {}) =>
  verifyWorkflow(w, opts).findings.map((f) => `${f.rule}@${f.step}`);

describe('compliance verifier', () => {
  test('finds marketing e-mail without a consent check, with the path as evidence', () => {
    const v = verifyWorkflow(
      wf([{ id: 'tag', type: 'update_lead', addTags: ['x'], next: 'mail' }, mail('mail')]),
    );
    assert.equal(v.ok, false);
    assert.deepEqual(v.findings[0], {
      rule: 'gdpr.marketing_email_consent',
      path: ['trigger:lead.created', 'tag', 'mail'],
      step: 'mail',
      message: v.findings[0]?.message,
    });
  });

  test('proves an e-mail dominated by the true edge of a consent check', () => {
    const v = verifyWorkflow(
      wf([{ id: 'c', type: 'condition', when: consent, onTrue: 'mail' }, mail('mail')]),
    );
    assert.ok(v.ok, JSON.stringify(v.findings));
    assert.deepEqual(v.proofs, [
      { rule: 'gdpr.marketing_email_consent', step: 'mail', guardedBy: 'c.onTrue' },
    ]);
  });

  test('the false edge of a consent check is no guard', () => {
    assert.deepEqual(
      rulesOf(wf([{ id: 'c', type: 'condition', when: consent, onFalse: 'mail' }, mail('mail')])),
      ['gdpr.marketing_email_consent@mail'],
    );
  });

  test('a check on only one branch leaves the other path unguarded', () => {
    const steps: Step[] = [
      condition('s', scoreAtLeast50, 'c', 'mail'),
      { id: 'c', type: 'condition', when: consent, onTrue: 'mail' },
      mail('mail'),
    ];
    const v = verifyWorkflow(wf(steps));
    assert.deepEqual(v.findings[0]?.path, ['trigger:lead.created', 's', 'mail']);
  });

  test('checks on every branch together prove the action without a single dominator', () => {
    const steps: Step[] = [
      condition('s', scoreAtLeast50, 'c1', 'c2'),
      { id: 'c1', type: 'condition', when: consent, onTrue: 'mail' },
      condition('c2', { all: [consent, { field: 'lead.score', op: 'gt', value: 1 }] }, 'mail'),
      mail('mail'),
    ];
    const v = verifyWorkflow(wf(steps));
    assert.ok(v.ok);
    assert.equal(v.proofs[0]?.guardedBy, 'every path');
  });

  test('a wait between the check and the e-mail invalidates the check', () => {
    const steps: Step[] = [
      { id: 'c', type: 'condition', when: consent, onTrue: 'w' },
      { id: 'w', type: 'wait', wait: { kind: 'duration', ms: 86_400_000 }, next: 'mail' },
      mail('mail'),
    ];
    const v = verifyWorkflow(wf(steps));
    assert.deepEqual(v.findings[0]?.path, ['trigger:lead.created', 'c', 'w', 'mail']);
    const fixed = insertGuards(wf(steps));
    assert.deepEqual(fixed.unresolved, []);
    assert.ok(verifyWorkflow(fixed.workflow).ok);
  });

  test('a loop that waits needs the check inside the loop, after the wait', () => {
    const steps: Step[] = [
      { id: 'c', type: 'condition', when: consent, onTrue: 'loop' },
      { id: 'loop', type: 'loop', body: 'mail', maxIterations: 3 },
      mail('mail', 'w'),
      { id: 'w', type: 'wait', wait: { kind: 'duration', ms: 3_600_000 }, next: 'loop' },
    ];
    const v = verifyWorkflow(wf(steps));
    assert.deepEqual(v.findings[0]?.path, ['trigger:lead.created', 'c', 'loop', 'mail', 'w', 'loop', 'mail']);
    const fixed = insertGuards(wf(steps));
    assert.ok(verifyWorkflow(fixed.workflow).ok);
    assert.ok(parseWorkflow(fixed.workflow).ok);
  });

  test('error edges and wait timeouts are paths too', () => {
    const steps: Step[] = [
      { id: 'c', type: 'condition', when: consent, onTrue: 'hook', onFalse: 'note' },
      { id: 'note', type: 'update_lead', addTags: ['no-consent'], onError: 'mail' },
      { id: 'hook', type: 'noop', next: 'mail' },
      mail('mail'),
    ];
    assert.deepEqual(verifyWorkflow(wf(steps)).findings[0]?.path, [
      'trigger:lead.created',
      'c',
      'note',
      'mail',
    ]);
  });

  test('a condition keeping the path outside the EU/UK discharges GDPR but not CAN-SPAM', () => {
    const steps: Step[] = [
      condition('us', { field: 'lead.country', op: 'in', value: ['US', 'ca'] }, 'mail'),
      mail('mail'),
    ];
    assert.deepEqual(rulesOf(wf(steps)), []);
    const eu: Step[] = [
      condition('r', { field: 'lead.region', op: 'not_in', value: ['EU', 'EEA', 'UK'] }, 'mail'),
      mail('mail'),
    ];
    assert.deepEqual(rulesOf(wf(eu)), []);
    const euOnly: Step[] = [
      { id: 'r', type: 'condition', when: { field: 'lead.region', op: 'neq', value: 'EU' }, onTrue: 'mail' },
      mail('mail'),
    ];
    assert.deepEqual(
      rulesOf(wf(euOnly)),
      ['gdpr.marketing_email_consent@mail'],
      'UK leads still reach the e-mail',
    );
    const noUnsub: Step[] = [
      { ...(mail('mail') as Extract<Step, { type: 'send_email' }>), unsubscribeLink: false },
    ];
    assert.deepEqual(
      rulesOf(
        wf(noUnsub, {
          triggers: [{ type: 'lead.created', filter: { field: 'lead.country', op: 'eq', value: 'US' } }],
        }),
      ),
      ['canspam.unsubscribe_and_address@mail'],
    );
  });

  test('an update of the country forgets what was known about the territory', () => {
    const steps: Step[] = [
      { id: 'us', type: 'condition', when: { field: 'lead.country', op: 'eq', value: 'US' }, onTrue: 'u' },
      { id: 'u', type: 'update_lead', set: { country: '{{trigger.body.country}}' }, next: 'mail' },
      mail('mail'),
    ];
    assert.deepEqual(rulesOf(wf(steps)), ['gdpr.marketing_email_consent@mail']);
  });

  test('transactional and internal e-mail need no marketing consent', () => {
    const steps: Step[] = [
      {
        id: 'a',
        type: 'send_email',
        to: 'lead',
        purpose: 'transactional',
        subject: 'Your booking',
        body: 'x',
        next: 'b',
      },
      {
        id: 'b',
        type: 'send_email',
        to: 'sales@acme.test',
        purpose: 'internal',
        subject: 'New lead',
        body: 'x',
      },
    ];
    assert.deepEqual(rulesOf(wf(steps)), []);
  });

  test('third-party sharing to US leads needs the sale/share check; service providers do not', () => {
    const steps: Step[] = [
      {
        id: 'crm',
        type: 'crm_upsert',
        provider: 'hubspot',
        object: 'contact',
        credential: 'hubspot',
        next: 'ads',
      },
      {
        id: 'ads',
        type: 'http_request',
        method: 'POST',
        url: 'https://ads.example/audience',
        body: { email: '{{lead.email}}' },
      },
    ];
    assert.deepEqual(rulesOf(wf(steps)), ['ccpa.no_sale_share_after_opt_out@ads']);
    const fixed = insertGuards(wf(steps));
    assert.deepEqual(
      fixed.added.map((a) => a.rule),
      ['ccpa.no_sale_share_after_opt_out'],
    );
    assert.ok(verifyWorkflow(fixed.workflow).ok);
  });

  test('SMS to a possibly US number needs prior express written consent, not any consent', () => {
    const sms: Step = {
      id: 'sms',
      type: 'send_sms',
      to: 'lead',
      purpose: 'transactional',
      text: 'See you at 3pm',
    };
    const steps: Step[] = [
      { id: 'c', type: 'condition', when: { consent: { purposes: ['sms'] } }, onTrue: 'sms' },
      sms,
    ];
    assert.deepEqual(rulesOf(wf(steps)), ['tcpa.sms_written_consent@sms']);
    const written: Step[] = [
      { id: 'c', type: 'condition', when: { consent: { purposes: ['sms'], written: true } }, onTrue: 'sms' },
      sms,
    ];
    assert.deepEqual(rulesOf(wf(written)), []);
  });

  test('healthcare: health data in e-mail and to uncovered endpoints are findings; insertGuards cannot fix them', () => {
    const steps: Step[] = [
      {
        id: 'mail',
        type: 'send_email',
        to: 'intake@clinic.test',
        purpose: 'internal',
        subject: 'New patient',
        body: 'Diagnosis: {{lead.attributes.diagnosis}}',
        next: 'hook',
      },
      {
        id: 'hook',
        type: 'webhook',
        url: 'https://partner.example/hook',
        event: 'lead.created',
        secret: 'partner',
        sharing: 'service_provider',
        next: 'crm',
      },
      {
        id: 'crm',
        type: 'crm_upsert',
        provider: 'salesforce',
        object: 'lead',
        credential: 'sf',
        fields: { Description: '{{lead.attributes.symptoms}}' },
        covered: true,
      },
    ];
    const w = wf(steps, { settings: { industry: 'healthcare' } });
    assert.deepEqual(rulesOf(w), ['hipaa.no_health_data_in_messages@mail', 'hipaa.covered_endpoints@hook']);
    assert.deepEqual(rulesOf(wf(steps)), [], 'the same workflow outside healthcare');
    assert.equal(insertGuards(w).unresolved.length, 2);
  });

  test('opaque (imported code) steps fail verification', () => {
    const steps: Step[] = [
      {
        id: 'code',
        type: 'opaque',
        origin: { system: 'n8n', nodeType: 'n8n-nodes-base.code' },
        reason: 'Code nodes are never executed',
      },
    ];
    assert.deepEqual(rulesOf(wf(steps)), ['workflow.opaque_step@code']);
  });

  test('a missing sender postal address is a CAN-SPAM finding only when the workspace has none', () => {
    const steps: Step[] = [{ id: 'c', type: 'condition', when: consent, onTrue: 'mail' }, mail('mail')];
    assert.deepEqual(rulesOf(wf(steps), { senderPostalAddress: null }), [
      'canspam.unsubscribe_and_address@mail',
    ]);
    assert.deepEqual(
      rulesOf(wf(steps, { settings: { sender: { postalAddress: '1 Main St' } } }), {
        senderPostalAddress: null,
      }),
      [],
    );
  });

  test('a trigger filter with consent guards the start, and sequences count as marketing e-mail', () => {
    const steps: Step[] = [{ id: 'seq', type: 'add_to_sequence', sequence: 'nurture' }];
    assert.deepEqual(rulesOf(wf(steps)), ['gdpr.marketing_email_consent@seq']);
    assert.deepEqual(rulesOf(wf(steps, { triggers: [{ type: 'lead.created', filter: consent }] })), []);
  });

  test('insertGuards guards every entry to a shared action and keeps the workflow valid', () => {
    const steps: Step[] = [
      {
        id: 's',
        type: 'switch',
        cases: [{ when: { field: 'lead.score', op: 'gte', value: 80 }, next: 'mail' }],
        default: 'w',
      },
      {
        id: 'w',
        type: 'wait',
        wait: { kind: 'event', event: 'email.replied', timeoutMs: 1000 },
        next: 'mail',
        onTimeout: 'mail',
      },
      mail('mail', 'end'),
      { id: 'end', type: 'noop' },
    ];
    const fixed = insertGuards(wf(steps));
    assert.ok(parseWorkflow(fixed.workflow).ok);
    assert.ok(verifyWorkflow(fixed.workflow).ok);
    const guard = fixed.workflow.steps.find((s) => s.id === 'guard-gdpr-mail');
    assert.deepEqual(guard && guard.type === 'condition' && [guard.onTrue, guard.onFalse], ['mail', 'end']);
  });
});
