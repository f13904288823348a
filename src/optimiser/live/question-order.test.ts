import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderedSlots, planQuestionSwap } from './question-order.ts';

const order = ['need', 'authority', 'timeline', 'budget'];
const stats = (entries: [string, number, number][]) =>
  new Map(entries.map(([slot, reached, dropped]) => [slot, { reached, dropped }]));

describe('question order', () => {
  it('moves a question one place later when it loses significantly more chats than the next', () => {
    const planned = planQuestionSwap(
      order,
      stats([
        ['need', 400, 4],
        ['authority', 396, 4],
        ['timeline', 392, 60],
        ['budget', 332, 3],
      ]),
      { minReached: 50 },
    );
    assert.ok(planned.ok);
    assert.deepEqual(planned.swap.order, ['need', 'authority', 'budget', 'timeline']);
    assert.equal(planned.swap.slot, 'timeline');
    assert.ok(planned.swap.evidence.z > 2.33);
  });

  it('changes nothing on a difference chance explains, on too few chats, or for the last question', () => {
    const close = stats([
      ['timeline', 200, 12],
      ['budget', 188, 8],
    ]);
    const noise = planQuestionSwap(order, close, { minReached: 50, focus: 'timeline' });
    assert.equal(noise.ok, false);
    assert.match(noise.ok ? '' : noise.reason, /not a significant difference/);
    const thin = planQuestionSwap(
      order,
      stats([
        ['timeline', 40, 30],
        ['budget', 10, 0],
      ]),
      {
        minReached: 50,
        focus: 'timeline',
      },
    );
    assert.match(thin.ok ? '' : thin.reason, /too few chats/);
    const last = planQuestionSwap(order, stats([['budget', 500, 400]]), { minReached: 50, focus: 'budget' });
    assert.match(last.ok ? '' : last.reason, /already the last question/);
  });

  it('applies a stored order only while it names exactly the playbook’s questions', () => {
    assert.deepEqual(orderedSlots(order, ['need', 'authority', 'budget', 'timeline']), [
      'need',
      'authority',
      'budget',
      'timeline',
    ]);
    // The playbook was edited since (a question added or renamed): its own order stands.
    assert.deepEqual(orderedSlots([...order, 'email'], ['need', 'authority', 'budget', 'timeline']), [
      ...order,
      'email',
    ]);
    assert.deepEqual(orderedSlots(order, ['need', 'need', 'budget', 'timeline']), order);
    assert.deepEqual(orderedSlots(order, null), order);
  });
});
