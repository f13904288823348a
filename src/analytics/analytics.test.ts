import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DomainEvent } from '../core/index.ts';
import { rollupsOf } from './event-rollups.ts';
import { binOf, quantileOf } from './histogram.ts';

const event = (type: DomainEvent['type'], data: Record<string, unknown>, at = 120_000): DomainEvent => ({
  id: `dev_${Math.random()}`,
  seq: 1,
  workspaceId: 'ws_1',
  type,
  subject: 's',
  data,
  at,
});

describe('duration histograms', () => {
  it('gives quantiles within 19% of the exact ones on a skewed sample', () => {
    // A deterministic log-normal-like sample of 2,000 durations from 0.2 s to about a day.
    const values = Array.from({ length: 2000 }, (_, i) => 0.2 * Math.exp(((i * 7919) % 2000) / 175));
    const histogram = new Map<number, number>();
    for (const v of values) histogram.set(binOf(v), (histogram.get(binOf(v)) ?? 0) + 1);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1] ?? 0;
      const estimate = quantileOf(histogram, q) ?? Number.NaN;
      assert.ok(Math.abs(estimate / exact - 1) < 0.19, `q${q}: ${estimate} vs ${exact}`);
    }
    assert.equal(quantileOf(new Map(), 0.5), null);
  });
});

describe('rollups from domain events', () => {
  const find = (incs: ReturnType<typeof rollupsOf>, metric: string, segment: string) =>
    incs.find((i) => i.metric === metric && i.segment === segment);

  it('counts model spend, conversions once, and drop-off at the question the visitor left', () => {
    const incs = rollupsOf([
      event('council.decided', { calls: 3, tokens: 1500 }),
      event('council.decided', { calls: 1, tokens: 500, spend: 0.0025, currency: 'USD' }),
      event('outcome.recorded', { converted: true, value: 900, change: 'recorded' }),
      event('outcome.recorded', { converted: true, value: 900, change: 'replaced' }),
      event('chat.ended', {
        playbook: 'pb',
        answered: ['budget'],
        droppedAt: 'timeline',
        reason: 'visitor_left',
      }),
      event('chat.ended', { playbook: 'pb', answered: ['budget', 'timeline'], droppedAt: null }),
    ]);
    assert.deepEqual(
      [find(incs, 'model_tokens', 'all')?.total, find(incs, 'model_calls', 'all')?.total],
      [2000, 4],
    );
    // Spend in money only from decisions priced when recorded (the first carried none).
    assert.equal(find(incs, 'model_spend', 'all')?.total, 0.0025);
    assert.equal(find(incs, 'model_spend', 'all')?.count, 1);
    assert.deepEqual(
      [find(incs, 'conversions', 'all')?.count, find(incs, 'conversions', 'all')?.total],
      [1, 900],
    );
    assert.equal(find(incs, 'outcomes', 'all')?.count, 1);
    assert.deepEqual(
      [
        find(incs, 'chat_reached', 'question:pb/timeline')?.count,
        find(incs, 'chat_dropped', 'question:pb/timeline')?.count,
      ],
      [2, 1],
    );
    assert.equal(find(incs, 'chat_dropped', 'question:pb/budget'), undefined);
    assert.deepEqual(
      [find(incs, 'chat_reached', 'all')?.count, find(incs, 'chat_dropped', 'all')?.count],
      [2, 1],
    );
  });

  it('puts speed-to-lead in its source segment and in the bin of its duration', () => {
    const incs = rollupsOf([event('lead.qualified', { source: 'web', acceptedAt: 0 }, 600_000)]);
    assert.equal(find(incs, 'speed_to_lead', 'source:web')?.total, 600);
    assert.equal(find(incs, `speed_to_lead#${binOf(600)}`, 'all')?.count, 1);
  });

  it('counts arrivals, qualification and outcomes per industry and region under their own names', () => {
    const incs = rollupsOf([
      event('lead.created', { source: 'web', industry: 'saas', region: 'dach' }),
      event('lead.qualified', { source: 'web', industry: 'saas', region: 'dach' }),
      event('lead.created', { source: 'web' }),
      event('outcome.recorded', { change: 'recorded', converted: true, value: 10, industry: 'saas' }),
    ]);
    assert.equal(find(incs, 'segment_arrivals', 'industry:saas')?.count, 1);
    assert.equal(find(incs, 'segment_arrivals', 'region:dach')?.count, 1);
    assert.equal(find(incs, 'segment_qualified', 'industry:saas')?.count, 1);
    // The detectors' `arrivals` stay per source: no stream per industry or region from these.
    assert.equal(find(incs, 'arrivals', 'industry:saas'), undefined);
    assert.equal(find(incs, 'arrivals', 'all')?.count, 2);
    assert.equal(find(incs, 'conversions', 'industry:saas')?.total, 10);
  });
});
