import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '../../core/index.ts';
import { betaDraw, boundShares, decideSplit, pickVariant, probabilityBest } from './variant-split.ts';

test('Beta draws have the posterior mean', () => {
  const random = createSeededRandom(7);
  let sum = 0;
  for (let i = 0; i < 20_000; i++) sum += betaDraw(3, 7, random);
  assert.ok(Math.abs(sum / 20_000 - 0.3) < 0.01, `mean ${sum / 20_000}`);
  let small = 0;
  for (let i = 0; i < 20_000; i++) small += betaDraw(0.5, 0.5, random);
  assert.ok(Math.abs(small / 20_000 - 0.5) < 0.02);
});

test('probability of being best favours the variant that converts more, and is even on a tie', () => {
  const clear = probabilityBest(
    [
      { name: 'a', exposures: 400, successes: 40 },
      { name: 'b', exposures: 400, successes: 72 },
    ],
    createSeededRandom(1),
  );
  assert.ok((clear.b ?? 0) > 0.99, `P(b best) ${clear.b}`);
  const tie = probabilityBest(
    [
      { name: 'a', exposures: 0, successes: 0 },
      { name: 'b', exposures: 0, successes: 0 },
    ],
    createSeededRandom(2),
  );
  assert.ok(Math.abs((tie.a ?? 0) - 0.5) < 0.05);
});

test('shares move by at most the step an hour and never below the floor', () => {
  const shares = boundShares({ a: 0.5, b: 0.5 }, { a: 0, b: 1 }, { floor: 0.1, maxStep: 0.2 });
  assert.deepEqual(shares, { a: 0.3, b: 0.7 });
  const floored = boundShares({ a: 0.15, b: 0.85 }, { a: 0, b: 1 }, { floor: 0.1, maxStep: 0.2 });
  assert.deepEqual(floored, { a: 0.1, b: 0.9 });
  const three = boundShares({ a: 0.1, b: 0.1, c: 0.8 }, { a: 0, b: 0, c: 1 }, { floor: 0.1, maxStep: 0.5 });
  assert.ok(Math.abs(Object.values(three).reduce((x, y) => x + y, 0) - 1) < 1e-5);
  for (const v of Object.values(three)) assert.ok(v >= 0.1 - 1e-9);
});

test('a decision is deterministic for a seed and reports the posteriors', () => {
  const stats = [
    { name: 'short', exposures: 120, successes: 9 },
    { name: 'long', exposures: 118, successes: 21 },
  ];
  const bounds = { floor: 0.1, maxStep: 0.15 };
  const one = decideSplit({ short: 0.5, long: 0.5 }, stats, bounds, createSeededRandom(42));
  const two = decideSplit({ short: 0.5, long: 0.5 }, stats, bounds, createSeededRandom(42));
  assert.deepEqual(one, two);
  assert.deepEqual(one.shares, { short: 0.35, long: 0.65 });
  assert.equal(one.moved, 0.15);
  assert.equal(one.posteriors[1]?.alpha, 22);
});

test('picking follows the shares', () => {
  const random = createSeededRandom(3);
  let b = 0;
  for (let i = 0; i < 10_000; i++) if (pickVariant({ a: 0.2, b: 0.8 }, random) === 'b') b++;
  assert.ok(Math.abs(b / 10_000 - 0.8) < 0.02);
});
