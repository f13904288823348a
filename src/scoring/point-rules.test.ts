import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScorableLead } from '../leads/index.ts';
import { DEFAULT_RULE_SET, ruleSetSchema, scoreLead } from './point-rules.ts';

const lead = (overrides: Partial<ScorableLead> = {}): ScorableLead => ({
  email: null,
  phone: null,
  name: null,
  company: null,
  companyDomain: null,
  title: null,
  country: null,
  source: null,
  utm: {},
  consentPurposes: [],
  attributes: {},
  freeEmail: false,
  ...overrides,
});

describe('point rules', () => {
  it('qualifies a VP at a business domain who asked for a demo with the default rules', () => {
    const result = scoreLead(
      lead({ email: 'ada@corp.com', title: 'VP Engineering', company: 'Corp', source: 'demo-request' }),
      DEFAULT_RULE_SET,
    );
    assert.deepEqual(
      result.breakdown.map((l) => l.ruleId),
      ['business-email', 'executive', 'has-company', 'high-intent-source'],
    );
    assert.equal(result.score, 70);
    assert.equal(result.qualified, true);
  });

  it('does not qualify a student with a free email address and never scores below zero', () => {
    const result = scoreLead(
      lead({ email: 'kid@gmail.com', freeEmail: true, title: 'Student' }),
      DEFAULT_RULE_SET,
    );
    assert.equal(result.score, 0);
    assert.equal(result.qualified, false);
    assert.ok(result.breakdown.some((l) => l.ruleId === 'not-a-buyer'));
  });

  it('compares numbers in attributes, including numeric strings, and ignores non-numbers', () => {
    const rules = {
      threshold: 10,
      rules: [
        {
          id: 'big',
          description: 'big',
          when: { field: 'attributes.employees', op: 'gte' as const, value: 100 },
          points: 10,
        },
      ],
    };
    assert.equal(scoreLead(lead({ attributes: { employees: 150 } }), rules).score, 10);
    assert.equal(scoreLead(lead({ attributes: { employees: '150' } }), rules).score, 10);
    assert.equal(scoreLead(lead({ attributes: { employees: 'many' } }), rules).score, 0);
  });

  it('combines conditions with all, any and not', () => {
    const rules = {
      threshold: 1,
      rules: [
        {
          id: 'combo',
          description: 'EU referral without phone',
          when: {
            all: [
              {
                any: [
                  { field: 'country', op: 'eq' as const, value: 'DE' },
                  { field: 'country', op: 'eq' as const, value: 'FR' },
                ],
              },
              { not: { field: 'phone', op: 'exists' as const } },
            ],
          },
          points: 7,
        },
      ],
    };
    assert.equal(scoreLead(lead({ country: 'de' }), rules).score, 7);
    assert.equal(scoreLead(lead({ country: 'DE', phone: '+4930123456' }), rules).score, 0);
    assert.equal(scoreLead(lead({ country: 'US' }), rules).score, 0);
  });

  it('rejects rule sets with unknown fields, bad regexes or duplicate ids', () => {
    const bad = (rules: unknown) => ruleSetSchema.safeParse({ threshold: 10, rules }).success;
    assert.equal(
      bad([{ id: 'a', description: 'x', when: { field: 'salary', op: 'exists' }, points: 1 }]),
      false,
    );
    assert.equal(
      bad([{ id: 'a', description: 'x', when: { field: 'title', op: 'matches', pattern: '(' }, points: 1 }]),
      false,
    );
    assert.equal(
      bad([
        { id: 'a', description: 'x', when: { field: 'title', op: 'exists' }, points: 1 },
        { id: 'a', description: 'y', when: { field: 'title', op: 'exists' }, points: 2 },
      ]),
      false,
    );
    assert.equal(ruleSetSchema.safeParse(DEFAULT_RULE_SET).success, true);
  });
});
