import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../core/index.ts';
import { createInMemoryCouncilBudget } from './budget.ts';

describe('council budget', () => {
  it('keeps the pipeline’s reserved share out of reach of API questions', async () => {
    const budget = createInMemoryCouncilBudget({
      limits: { calls: 8, tokens: 8_000 },
      pipelineShare: 0.25,
      clock: createManualClock(),
    });
    const call = { calls: 1, tokens: 100 };
    let api = 0;
    while ((await budget.reserve('ws_a', call, 'api')).ok) api++;
    assert.equal(api, 6, 'API questions stop at 75 % of the calls');
    assert.equal((await budget.remaining('ws_a', 'api')).calls, 0);
    assert.equal((await budget.remaining('ws_a', 'pipeline')).calls, 2);
    assert.equal((await budget.reserve('ws_a', call, 'pipeline')).ok, true);
    assert.equal((await budget.reserve('ws_a', call, 'pipeline')).ok, true);
    assert.equal(
      (await budget.reserve('ws_a', call, 'pipeline')).ok,
      false,
      'the whole budget is a hard cap',
    );
  });
});
