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
  it('gives a lead once (the taker owns it) and, when full, keeps the oldest (taken first)', () => {
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
    assert.equal(leads.take('evt_c'), undefined, 'the newest was not kept');
    assert.equal(leads.take('evt_a')?.email, 'a@x.example.com');
    assert.equal(leads.take('evt_a'), undefined, 'taken once');
    leads.put('evt_d', lead('d@x.example.com'));
    assert.equal(leads.take('evt_b')?.email, 'b@x.example.com');
    assert.equal(leads.take('evt_d')?.email, 'd@x.example.com', 'kept again once there was room');
  });

  it('lets a lead nobody takes go once it is stale, full or not', () => {
    const leads = createNormalisedLeads(2, 3);
    const lead = (email: string) => {
      const result = normaliseLead({ email });
      assert.ok(result.ok);
      return result.value;
    };
    leads.put('evt_never', lead('never@x.example.com'));
    for (let i = 0; i < 4; i++) {
      leads.put(`evt_${i}`, lead(`${i}@x.example.com`));
      leads.take(`evt_${i}`);
    }
    leads.put('evt_full', lead('full@x.example.com'));
    // Five puts after it, the untaken lead is stale: the next put that needs room replaces it.
    leads.put('evt_new', lead('new@x.example.com'));
    assert.equal(leads.take('evt_never'), undefined, 'the stale lead went');
    assert.equal(leads.take('evt_new')?.email, 'new@x.example.com');
    assert.equal(leads.take('evt_full')?.email, 'full@x.example.com');

    // Never full: the untaken lead still goes after `staleAfter` puts.
    const roomy = createNormalisedLeads(100, 50);
    roomy.put('evt_never', lead('never@x.example.com'));
    for (let i = 0; i < 60; i++) {
      roomy.put(`evt_r${i}`, lead(`${i}@x.example.com`));
      roomy.take(`evt_r${i}`);
    }
    assert.equal(roomy.size, 0);
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
