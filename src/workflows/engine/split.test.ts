import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '../../core/index.ts';
import { verifyWorkflow } from '../compliance/index.ts';
import { parseWorkflow, type Step, type StepOf, type Workflow } from '../dsl/index.ts';
import { chooseVariant, weightedTurn } from './split-choice.ts';

const consent = { consent: { purposes: ['email_marketing'] } };
const mail = (id: string): Step => ({
  id,
  type: 'send_email',
  to: 'lead',
  purpose: 'marketing',
  subject: 'Hello',
  body: 'News',
});
const split = (variants: StepOf<'split'>['variants']): StepOf<'split'> => ({
  id: 'ab',
  type: 'split',
  metric: 'conversion',
  variants,
});
const workflow = (steps: Step[]): Workflow => ({
  schemaVersion: 1,
  name: 'split',
  triggers: [{ type: 'lead.created' }],
  start: steps[0]?.id ?? 'x',
  steps,
});

test('a split needs two uniquely named variants', () => {
  const dup = parseWorkflow(
    workflow([
      split([
        { name: 'a', next: 'm' },
        { name: 'a', next: 'm' },
      ]),
      mail('m'),
    ]),
  );
  assert.equal(dup.ok, false);
  assert.match(JSON.stringify(dup), /variant names must be unique/);
  const one = parseWorkflow(workflow([split([{ name: 'a', next: 'm' }]), mail('m')]));
  assert.equal(one.ok, false);
});

test('the verifier follows every variant: an unguarded variant is a finding, a guarded one a proof', () => {
  const steps: Step[] = [
    split([
      { name: 'guarded', next: 'c' },
      { name: 'bare', next: 'm2' },
    ]),
    { id: 'c', type: 'condition', when: consent, onTrue: 'm1' },
    mail('m1'),
    mail('m2'),
  ];
  const parsed = parseWorkflow(workflow(steps));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const v = verifyWorkflow(parsed.value.workflow);
  assert.equal(v.ok, false);
  assert.deepEqual(
    v.findings.map((f) => `${f.rule}@${f.step}`),
    ['gdpr.marketing_email_consent@m2'],
  );
  assert.deepEqual(v.findings[0]?.path, ['trigger:lead.created', 'ab', 'm2']);
  assert.ok(v.proofs.some((p) => p.step === 'm1' && p.guardedBy === 'c.onTrue'));
});

test('runs take variants by the step weights, or by the optimiser weights once set', () => {
  const step = split([
    { name: 'a', next: 'x', weight: 1 },
    { name: 'b', next: 'y', weight: 3 },
  ]);
  const count = (current: Record<string, number> | null) => {
    const random = createSeededRandom(11);
    let b = 0;
    for (let i = 0; i < 8000; i++) if (chooseVariant(step, current, random).name === 'b') b++;
    return b / 8000;
  };
  assert.ok(Math.abs(count(null) - 0.75) < 0.02);
  assert.ok(Math.abs(count({ a: 0.9, b: 0.1 }) - 0.1) < 0.02);
  const chosen = chooseVariant(step, { a: 0, b: 1 }, createSeededRandom(1));
  assert.deepEqual(chosen, { name: 'b', next: 'y', weight: 1 });
});

test('weighted round-robin gives each owner close to its share over any stretch of turns', () => {
  const owners = [
    { id: 'ann', weight: 3 },
    { id: 'bob', weight: 1 },
    { id: 'cy', weight: 0 },
  ];
  const turns = Array.from({ length: 40 }, (_, i) => weightedTurn(owners, i));
  const ann = turns.filter((t) => t === 'ann').length;
  assert.ok(ann >= 28 && ann <= 32, `ann took ${ann} of 40`);
  assert.ok(!turns.includes('cy'), 'a zero weight gets no lead');
  assert.equal(weightedTurn(owners, 7), weightedTurn(owners, 7), 'deterministic per run number');
  assert.equal(weightedTurn([{ id: 'x', weight: 0 }], 1), null);
});
