import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../core/index.ts';
import { createInMemoryDecisionCache } from './cache.ts';
import type { CouncilDecision } from './decision-record.ts';

const lead = (n: number) => `lead_${String(n).padStart(26, '0')}`;
/** Only what `forget` reads matters: where in the decision a lead id or a string appears. */
const decision = (body: Record<string, unknown>) => body as unknown as CouncilDecision;

describe('decision cache forget', () => {
  it('drops exactly the decisions that name an erased lead, among tens of thousands of ids, in this workspace only', async () => {
    const cache = createInMemoryDecisionCache({ clock: createManualClock(0), maxEntries: 100 });
    await cache.set('ws_a:1', decision({ question: { leadId: lead(7) } }), 60_000);
    await cache.set('ws_a:2', decision({ toolCalls: [{ output: `see ${lead(123_456)}.` }] }), 60_000);
    await cache.set('ws_a:3', decision({ question: { leadId: lead(999_999) } }), 60_000);
    await cache.set('ws_b:1', decision({ question: { leadId: lead(7) } }), 60_000);
    await cache.set('ws_a:4', decision({ answer: 'mentions ada@example.com' }), 60_000);

    const erased = Array.from({ length: 50_000 }, (_, i) => lead(100_000 + i));
    erased.push(lead(7));
    assert.equal(await cache.forget('ws_a', erased), 2);
    const left = (await cache.held('ws_a')).map((d) => JSON.stringify(d));
    assert.deepEqual(left.length, 2);
    assert.ok(left.some((t) => t.includes(lead(999_999))));
    assert.equal((await cache.held('ws_b')).length, 1, 'another workspace keeps its decisions');

    // Strings that are not ids are still searched for in the text.
    assert.equal(await cache.forget('ws_a', ['ada@example.com']), 1);
    assert.equal((await cache.held('ws_a')).length, 1);
  });
});
