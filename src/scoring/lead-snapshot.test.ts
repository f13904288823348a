import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScoringLeadFields } from '../leads/index.ts';
import { leadRecord } from './lead-features.ts';
import type { LeadHistoryEntry } from './lead-snapshot.ts';
import { leadAsOf } from './lead-snapshot.ts';

const HISTORY: LeadHistoryEntry[] = [
  {
    createdAt: 1000,
    changes: {
      email: { from: null, to: 'ana@example.com' },
      title: { from: null, to: 'Analyst' },
      'utm.source': { from: null, to: 'newsletter' },
      'attributes.employees': { from: null, to: 40 },
    },
  },
  { createdAt: 2000, changes: { country: { from: null, to: 'PT' } } },
  // After the outcome (at 2500): a new title, a new campaign, an onboarding answer, qualification.
  {
    createdAt: 3000,
    changes: {
      title: { from: 'Analyst', to: 'Head of Data' },
      'utm.source': { from: 'newsletter', to: 'customer-portal' },
      'attributes.chat_onboarding': { from: null, to: 'done' },
      status: { from: 'new', to: 'qualified' },
    },
  },
  { createdAt: 4000, changes: {} },
];

const CURRENT: ScoringLeadFields = {
  id: 'lead_1',
  email: 'ana@example.com',
  phone: null,
  company: null,
  title: 'Head of Data',
  country: 'PT',
  source: null,
  utm: { source: 'customer-portal' },
  attributes: { employees: 40, chat_onboarding: 'done' },
  status: 'qualified',
  createdAt: 1000,
  updatedAt: 4000,
};

describe('lead snapshot at outcome time', () => {
  it('undoes every change recorded after the cutoff', () => {
    const { lead, touches } = leadAsOf(CURRENT, HISTORY, 2500);
    assert.equal(lead.title, 'Analyst');
    assert.deepEqual(lead.utm, { source: 'newsletter' });
    assert.deepEqual(lead.attributes, { employees: 40 });
    assert.equal(lead.status, 'new');
    assert.equal(lead.country, 'PT', 'a change before the cutoff stays');
    assert.equal(lead.updatedAt, 2000);
    assert.equal(touches, 2);
    const record = leadRecord(lead, touches);
    assert.equal(record.seniority, 'individual');
    assert.equal(record.touches, 2);
    assert.equal(record['attr.chat_onboarding'], undefined);
  });

  it('leaves the current lead untouched', () => {
    const before = structuredClone(CURRENT);
    leadAsOf(CURRENT, HISTORY, 1500);
    assert.deepEqual(CURRENT, before);
  });

  it('returns the lead as it is when nothing happened after the cutoff', () => {
    const { lead, touches } = leadAsOf(CURRENT, HISTORY, 4000);
    assert.equal(lead, CURRENT);
    assert.equal(touches, 4);
  });

  it('keeps the creating event for an outcome dated before the lead arrived', () => {
    const { lead, touches } = leadAsOf(CURRENT, HISTORY, 10);
    assert.equal(touches, 1);
    assert.equal(lead.email, 'ana@example.com');
    assert.equal(lead.title, 'Analyst');
    assert.equal(lead.country, null);
    assert.equal(lead.updatedAt, 1000);
  });

  it('uses the current lead when there is no history', () => {
    assert.deepEqual(leadAsOf(CURRENT, [], 0), { lead: CURRENT, touches: 0 });
  });
});
