import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSeededRandom } from '../../core/index.ts';
import { createPythonRandom } from '../testing/python-random.ts';
import { createAdwin } from './adwin.ts';
import { bernoulliLlr, createCusum } from './cusum.ts';
import { createPageHinkley } from './page-hinkley.ts';
import { binIndex, chiSquareQuantile, psi, psiCriticalValue, quantileEdges } from './psi.ts';
import { poissonCdf, poissonSilence, silenceMinutesNeeded, wilsonInterval } from './rate-tests.ts';

function riverExampleStream(): number[] {
  const rng = createPythonRandom(12345);
  return [...rng.choices([0, 1], 1000), ...rng.choices([4, 5, 6, 7], 1000)];
}

function firstDetection(update: (x: number) => boolean, stream: readonly number[]): number {
  for (let i = 0; i < stream.length; i++) if (update(stream[i] ?? 0)) return i;
  return -1;
}

/** Median number of outcomes after a 10% → 20% change until detection (river's figures: PH ≈ 470, ADWIN ≈ 1,000). */
function medianDelay(make: () => (x: number) => boolean, runs: number): number {
  const delays: number[] = [];
  for (let run = 0; run < runs; run++) {
    const random = createSeededRandom(1000 + run);
    const update = make();
    let seen = -1;
    for (let i = 0; i < 20_000 && seen < 0; i++) {
      const p = i < 1000 ? 0.1 : 0.2;
      const fired = update(random() < p ? 1 : 0);
      if (fired && i >= 1000) seen = i - 1000;
    }
    delays.push(seen < 0 ? 20_000 : seen);
  }
  delays.sort((a, b) => a - b);
  return delays[Math.floor(runs / 2)] ?? 0;
}

describe('detectors', () => {
  it('reproduces the stream of river\u2019s examples (CPython random) and river\u2019s PageHinkley index 1006', () => {
    const stream = riverExampleStream();
    const ph = createPageHinkley({ mode: 'up' });
    assert.equal(
      firstDetection((x) => ph.update(x), stream),
      1006,
    );
  });

  it('finds the change of river\u2019s ADWIN example at the first clock tick after it (river: index 1023)', () => {
    for (const riverCutLoop of [false, true]) {
      const adwin = createAdwin({ riverCutLoop });
      assert.equal(
        firstDetection((x) => adwin.update(x), riverExampleStream()),
        1023,
      );
    }
  });

  it('needs about as many outcomes as river on a 10% \u2192 20% conversion change (PH \u2248 470, ADWIN \u2248 1,000)', () => {
    const delay = (make: () => { update(x: number): boolean }) =>
      medianDelay(() => {
        const d = make();
        return (x) => d.update(x);
      }, 41);
    const ph = delay(() => createPageHinkley());
    const riverAdwin = delay(() => createAdwin({ riverCutLoop: true }));
    const adwin = delay(() => createAdwin());
    assert.ok(ph > 400 && ph < 700, `Page-Hinkley median ${ph}`);
    assert.ok(riverAdwin > 800 && riverAdwin < 1300, `ADWIN with river's cut loop, median ${riverAdwin}`);
    // Visiting every bucket boundary halves the delay: river's loop skips the cut that matters.
    assert.ok(adwin < riverAdwin * 0.7, `ADWIN with the full cut loop, median ${adwin}`);
  });

  it('Page-Hinkley in down mode ignores increases and catches decreases', () => {
    const ph = createPageHinkley({ mode: 'down', alpha: 1, delta: 0.05, threshold: 5, minInstances: 10 });
    for (let i = 0; i < 200; i++) assert.equal(ph.update(i % 2), false);
    for (let i = 0; i < 200; i++) assert.equal(ph.update(1), false, 'an increase never fires in down mode');
    let fired = false;
    for (let i = 0; i < 50 && !fired; i++) fired = ph.update(0);
    assert.ok(fired);
  });

  it('restores a checkpointed state and continues as if never stopped', () => {
    const random = createSeededRandom(7);
    const values = Array.from({ length: 500 }, () => (random() < 0.3 ? 1 : 0));
    const a = createPageHinkley({ mode: 'down', alpha: 1 });
    for (const v of values.slice(0, 250)) a.update(v);
    const b = createPageHinkley({ mode: 'down', alpha: 1 }, a.state());
    for (const v of values.slice(250)) assert.equal(a.update(v), b.update(v));
    assert.deepEqual(a.state(), b.state());
    const adwin = createAdwin();
    for (const v of values.slice(0, 250)) adwin.update(v);
    const restored = createAdwin({}, adwin.state());
    for (const v of values.slice(250)) assert.equal(adwin.update(v), restored.update(v));
  });

  it('a Bernoulli CUSUM on log-likelihood ratios fires on a halved rate and stays quiet without one', () => {
    const random = createSeededRandom(11);
    const quiet = createCusum({ slack: 0, threshold: 8, mode: 'up' });
    for (let i = 0; i < 20_000; i++)
      assert.equal(quiet.update(bernoulliLlr(random() < 0.3, 0.3, 0.15)), false);
    const loud = createCusum({ slack: 0, threshold: 8, mode: 'up' });
    let at = -1;
    for (let i = 0; i < 2000 && at < 0; i++)
      if (loud.update(bernoulliLlr(random() < 0.15, 0.3, 0.15))) at = i;
    assert.ok(at > 20 && at < 600, `fired after ${at} leads`);
  });

  it('PSI is zero for identical distributions, grows with a shift, and noise stays under its critical value', () => {
    const random = createSeededRandom(3);
    const reference = Array.from({ length: 5000 }, () => random());
    const edges = quantileEdges(reference);
    const count = (values: number[]) => {
      const bins = new Array<number>(10).fill(0);
      for (const v of values) bins[binIndex(edges, v)] = (bins[binIndex(edges, v)] ?? 0) + 1;
      return bins;
    };
    const ref = count(reference);
    assert.equal(psi(ref, ref), 0);
    const same = count(Array.from({ length: 600 }, () => random()));
    const shifted = count(Array.from({ length: 600 }, () => random() ** 2));
    const critical = psiCriticalValue(5000, 600, 10, 0.999);
    assert.ok(psi(ref, same) < critical, `noise ${psi(ref, same)} vs ${critical}`);
    assert.ok(psi(ref, shifted) > 0.1);
    assert.ok(Math.abs(chiSquareQuantile(9, 0.999) - 27.88) < 0.3);
  });

  it('the silence test needs ln(tests per week / budget) expected arrivals', () => {
    const budget = { testsPerWeek: 10_080, falseAlarmsPerWeek: 0.1 };
    assert.ok(Math.abs(silenceMinutesNeeded(1, budget) - 11.52) < 0.01);
    assert.equal(poissonSilence(2, 5, budget).silent, false);
    assert.equal(poissonSilence(2, 6, budget).silent, true);
    assert.ok(Math.abs(poissonCdf(2, 3) - 0.42319) < 1e-4);
    const w = wilsonInterval(47, 52);
    assert.ok(Math.abs(w.low - 0.79) < 0.01 && Math.abs(w.high - 0.96) < 0.01);
  });
});
