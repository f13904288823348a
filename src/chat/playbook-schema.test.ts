import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BANT_INPUT, BUILT_IN_PLAYBOOKS } from './builtin-playbooks.ts';
import { type PlaybookInput, parsePlaybook } from './playbook-schema.ts';

const minimal: PlaybookInput = {
  id: 'custom',
  name: 'Custom',
  questions: [
    { slot: 'seats', type: 'company_size', prompt: 'How many seats?' },
    {
      slot: 'plan',
      type: 'enum',
      prompt: 'Which plan?',
      options: [
        { value: 'pro', label: 'Pro' },
        { value: 'team', label: 'Team' },
      ],
    },
  ],
  consent: { textVersion: 'v1', purposes: ['sales_contact'], text: 'May we email you? (yes/no)' },
  outcomes: { rules: [{ outcome: 'qualified', when: { slot: 'plan', in: ['pro'] } }], otherwise: 'nurture' },
};

describe('playbooks', () => {
  it('ships BANT, CHAMP and MEDDIC with the BANT slot names of the spec', () => {
    assert.deepEqual(Object.keys(BUILT_IN_PLAYBOOKS), ['bant', 'champ', 'meddic']);
    assert.deepEqual(
      BUILT_IN_PLAYBOOKS.bant.questions.map((q) => [q.slot, q.type]),
      [
        ['need', 'text'],
        ['authority', 'role'],
        ['timeline', 'timeline'],
        ['budget', 'money'],
      ],
    );
  });

  it('applies defaults to a minimal custom playbook', () => {
    const result = parsePlaybook(minimal);
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.value.maxAttempts, 2);
    assert.equal(result.value.contact.ask, 'email');
    assert.equal(result.value.questions[0]?.required, true);
  });

  it('names every problem with its field', () => {
    const result = parsePlaybook({
      ...minimal,
      questions: [...minimal.questions, { slot: 'plan', type: 'text', prompt: 'Again?' }],
      outcomes: {
        rules: [
          { outcome: 'qualified', when: { filled: ['nope'] } },
          { outcome: 'nurture', when: { slot: 'seats', in: ['x'] } },
        ],
        otherwise: 'nurture',
      },
    });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.error.code, 'validation_failed');
    const fields = result.error.issues.map((i) => `${i.field}: ${i.reason}`);
    assert.ok(
      fields.includes('playbook.questions.2.slot: is used by an earlier question'),
      fields.join('\n'),
    );
    assert.ok(
      fields.some((f) => f.startsWith('playbook.outcomes.rules.0.when') && f.includes('unknown slot "nope"')),
    );
    assert.ok(
      fields.some((f) => f.startsWith('playbook.outcomes.rules.1.when') && f.includes('enum or role')),
    );
  });

  it('rejects enum points for options that do not exist and malformed currencies', () => {
    const badPoints = parsePlaybook({
      ...minimal,
      questions: [
        { ...minimal.questions[1], points: { values: { gold: 5 } } } as PlaybookInput['questions'][number],
      ],
      outcomes: { rules: [], otherwise: 'nurture' },
    });
    assert.equal(badPoints.ok, false);
    const badCurrency = parsePlaybook({ ...BANT_INPUT, scoring: { currency: 'dollars' } });
    assert.equal(badCurrency.ok, false);
  });

  it('rejects unknown fields instead of ignoring a typo', () => {
    assert.equal(parsePlaybook({ ...minimal, meetingUlr: 'https://x.test' }).ok, false);
  });
});
