import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type OutcomeStreamState, stepOutcomes } from './outcome-streams.ts';

const counts = (entries: [string, number, number][]) => ({
  outcomes: new Map(entries.map(([s, n]) => [s, n])),
  conversions: new Map(entries.map(([s, , c]) => [s, c])),
});

describe('conversion streams per segment', () => {
  it('watches at most 8 segments of a kind, the same ones whatever order the rows came in', () => {
    const sources = Array.from({ length: 12 }, (_, i) => `source:s${String(i).padStart(2, '0')}`);
    const rows: [string, number, number][] = [
      ['all', 24, 5],
      ['industry:saas', 12, 2],
      ['region:dach', 12, 2],
      ...sources.map((s, i): [string, number, number] => [s, i < 2 ? 3 : 1, 0]),
    ];
    const forward: Record<string, OutcomeStreamState> = {};
    const backward: Record<string, OutcomeStreamState> = {};
    stepOutcomes(forward, 1000, counts(rows));
    stepOutcomes(backward, 1000, counts([...rows].reverse()));
    const watched = Object.keys(forward).sort();
    assert.deepEqual(watched, Object.keys(backward).sort());
    assert.equal(watched.filter((s) => s.startsWith('source:')).length, 8);
    // Busiest first, then by name.
    assert.deepEqual(
      watched.filter((s) => s.startsWith('source:')),
      sources.slice(0, 8),
    );
    for (const s of ['all', 'industry:saas', 'region:dach']) assert.ok(watched.includes(s), s);
  });

  it('gives the place of a segment idle for two weeks to a new one', () => {
    const streams: Record<string, OutcomeStreamState> = {};
    const eight = Array.from({ length: 8 }, (_, i) => `playbook:p${i}`);
    stepOutcomes(streams, 0, counts(eight.map((s): [string, number, number] => [s, 1, 0])));
    stepOutcomes(streams, 10, counts([['playbook:late', 1, 0]]));
    assert.equal(streams['playbook:late'], undefined, 'no place while the eight are fresh');
    // Seven keep reporting; p0 falls silent.
    stepOutcomes(streams, 10_000, counts(eight.slice(1).map((s): [string, number, number] => [s, 1, 0])));
    stepOutcomes(streams, 20_170, counts([['playbook:late', 1, 0]]));
    assert.equal(streams['playbook:p0'], undefined, 'idle for 14 days: dropped');
    assert.ok(streams['playbook:late'], 'the new segment takes the place');
    assert.ok(streams['playbook:p1'], 'a segment heard from within 14 days stays');
  });

  it('fires on the segment that fell, not on its neighbour', () => {
    const streams: Record<string, OutcomeStreamState> = {};
    const fired: string[] = [];
    for (let minute = 0; minute < 240 && fired.length === 0; minute++) {
      const fell = minute >= 60;
      for (const f of stepOutcomes(
        streams,
        minute,
        counts([
          ['industry:saas', 10, fell ? 0 : 3],
          ['industry:retail', 10, 3],
        ]),
      ))
        fired.push(f.stream);
    }
    assert.deepEqual(fired, ['conversion:industry:saas']);
  });

  it('splits the alarm budget across the kinds of stream each outcome feeds', () => {
    // The same outcomes under `all`, an industry and a source: three kinds, so ADWIN's δ is a third
    // and Page-Hinkley's threshold rises by σ²·ln 3 / (2δ) at the stream's running rate.
    const run = (overrides: { budgetSplit?: boolean }) => {
      const streams: Record<string, OutcomeStreamState> = {};
      for (let minute = 0; minute < 600; minute++) {
        const c = minute < 60 ? 3 : 0;
        const fired = stepOutcomes(
          streams,
          minute,
          counts([
            ['all', 10, c],
            ['industry:saas', 10, c],
            ['source:web', 10, c],
          ]),
          overrides,
        ).find((f) => f.stream === 'conversion:all');
        if (fired) return { minute, evidence: fired.evidence };
      }
      throw new Error('never fired');
    };
    const split = run({});
    const pooled = run({ budgetSplit: false });
    if (split.evidence.detector.startsWith('Page-Hinkley')) {
      const p = split.evidence.baseline.value;
      assert.ok(Math.abs(split.evidence.threshold - (50 + (p * (1 - p) * Math.log(3)) / 0.015)) < 3);
      assert.match(split.evidence.detector, /for 3 kinds of stream/);
    } else assert.match(split.evidence.detector, /ADWIN \(δ 0\.000067\)/);
    assert.ok(split.minute >= pooled.minute, `split ${split.minute}, pooled ${pooled.minute}`);
    assert.ok(split.minute - 60 < 30, 'a collapse to no conversion is still found within half an hour');
  });
});
