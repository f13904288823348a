import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventsTable } from '../store/index.ts';
import { toJson } from '../store/index.ts';
import { leadInputSchema } from './lead-schema.ts';
import { normaliseLead } from './normalise.ts';
import { createNormalisedLeads } from './normalised-leads.ts';
import { normaliseEvent } from './stages.ts';

const event = (payload: unknown): EventsTable =>
  ({ id: 'evt_1', payload: toJson(payload) }) as unknown as EventsTable;

describe('normalised leads handed from ingestion to the pipeline', () => {
  it('gives a lead once (the taker owns it) and forgets the oldest beyond its bound', () => {
    const leads = createNormalisedLeads(2);
    const lead = (email: string) => {
      const result = normaliseLead({ email });
      assert.ok(result.ok);
      return result.value;
    };
    leads.put('evt_a', lead('a@x.example.com'));
    leads.put('evt_b', lead('b@x.example.com'));
    leads.put('evt_c', lead('c@x.example.com'));
    assert.equal(leads.size, 2);
    assert.equal(leads.take('evt_a'), undefined, 'the oldest was evicted');
    assert.equal(leads.take('evt_b')?.email, 'b@x.example.com');
    assert.equal(leads.take('evt_b'), undefined, 'taken once');
  });

  it('the fallback from the stored payload gives the lead ingestion normalised', () => {
    const bodies = [
      { email: ' Linus@Kernel.Example.org ', phone: '030 901820', country: 'de', utm: { source: 'g' } },
      { phone: '+44 20 7946 0958', name: 'Ada', attributes: { plan: 'pro', seats: 3 } },
      {
        email: 'x@gmail.com',
        consent: {
          purposes: ['marketing'],
          textVersion: 'v1',
          timestamp: '2026-01-01T00:00:00Z',
          method: 'form',
        },
      },
    ];
    for (const body of bodies) {
      // What the ingest service stores (the validated input) and what it hands over (its normalised form).
      const stored = leadInputSchema.parse(body);
      const handed = normaliseLead(stored);
      assert.ok(handed.ok);
      assert.deepEqual(normaliseEvent(event(stored)), handed.value);
    }
  });

  it('a stored payload that is not a lead fails for good', () => {
    assert.throws(() => normaliseEvent(event({ email: 'not an email' })), /email/);
  });
});
