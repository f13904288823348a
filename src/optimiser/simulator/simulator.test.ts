import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSeededRandom } from '../../core/index.ts';
import { parseBankCsv, prepareBankMaterial } from './bank-stream.ts';
import { backtestGuarantee, guaranteeLevel } from './guarantee.ts';
import { INITIAL_LOOP_PARAMS } from './loop-policy.ts';
import { simulateRun } from './run.ts';
import { SCENARIOS } from './scenarios.ts';

/** A small generated sample in the UCI file's format: conversion depends on job and poutcome. */
function sampleCsv(rows: number): string {
  const random = createSeededRandom(42);
  const jobs = ['admin.', 'blue-collar', 'technician', 'services', 'retired'];
  const header = [
    'age',
    'job',
    'marital',
    'education',
    'default',
    'housing',
    'loan',
    'contact',
    'month',
    'day_of_week',
    'duration',
    'poutcome',
    'y',
  ];
  const lines = [header.map((h) => `"${h}"`).join(';')];
  for (let i = 0; i < rows; i++) {
    const job = jobs[Math.floor(random() * jobs.length)] ?? 'admin.';
    const success = random() < 0.1;
    const p = (job === 'retired' ? 0.3 : job === 'admin.' ? 0.15 : 0.06) + (success ? 0.4 : 0);
    const y = random() < p ? 'yes' : 'no';
    lines.push(
      [
        40,
        `"${job}"`,
        '"married"',
        '"university.degree"',
        '"no"',
        '"yes"',
        '"no"',
        '"cellular"',
        '"may"',
        '"mon"',
        100,
        success ? '"success"' : '"nonexistent"',
        `"${y}"`,
      ].join(';'),
    );
  }
  return lines.join('\n');
}

const material = prepareBankMaterial(parseBankCsv(sampleCsv(5000)));
const scenario = (name: string) => {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(name);
  return s;
};
const quiet = {
  ...INITIAL_LOOP_PARAMS,
  qualH: 12,
  dropH: 11,
  bounceH: 11,
  conversionThreshold: 50,
  adwinDelta: 2e-4,
  psiQuantile: 0.99999,
};

describe('optimiser simulator', () => {
  it('parses the UCI format, holds every fifth row out for the champion, and scores converters higher', () => {
    assert.equal(material.replay.length, 4000);
    assert.equal(material.trainingScores.length, 1000);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const yes = mean(material.replay.filter((r) => r.converts).map((r) => r.score));
    const no = mean(material.replay.filter((r) => !r.converts).map((r) => r.score));
    assert.ok(yes > no, `converters ${yes} vs others ${no}`);
  });

  it('finds a silent source within minutes, repairs it, and loses far fewer conversions than the 6-hour batch', () => {
    const loop = simulateRun(material, scenario('silent-source'), 7, 'loop', quiet);
    const batch = simulateRun(material, scenario('silent-source'), 7, 'batch', quiet);
    const none = simulateRun(material, scenario('silent-source'), 7, 'none', quiet);
    assert.ok(
      loop.detectionMinutes !== null && loop.detectionMinutes < 15,
      `loop found it after ${loop.detectionMinutes} min`,
    );
    assert.ok(batch.detectionMinutes === null || batch.detectionMinutes > loop.detectionMinutes);
    assert.ok(
      loop.lostConversions < none.lostConversions / 4,
      `${loop.lostConversions} vs unmitigated ${none.lostConversions}`,
    );
    assert.ok(loop.lostConversions <= batch.lostConversions);
  });

  it('replays the same leads whatever the policy: with no fault and no alarm nothing is lost', () => {
    const none = simulateRun(material, scenario('no-change'), 3, 'none', quiet);
    assert.equal(none.lostConversions, 0);
    assert.equal(none.alarms, 0);
  });

  it('anchor defaults fire constantly on a quiet week; thresholds sized for the budget do not', () => {
    const loud = simulateRun(material, scenario('no-change'), 5, 'loop', INITIAL_LOOP_PARAMS);
    const calm = simulateRun(material, scenario('no-change'), 5, 'loop', quiet);
    assert.ok(loud.falseAlarms > 20, `defaults: ${loud.falseAlarms} false alarms`);
    assert.ok(calm.falseAlarms <= 3, `tuned: ${calm.falseAlarms} false alarms`);
    assert.ok(loud.rolledBack > 0, 'harmful changes made on noise are rolled back by the watcher');
  });
});

describe('risk-adjusted qualification streams', () => {
  it('find a sudden drop in one segment faster than the pooled shares, each run, without an alarm on a quiet day', () => {
    const withResidual = { ...quiet, residualBudget: 0.1 };
    const delays: [number, number][] = [];
    for (const seed of [3, 4, 5]) {
      const plain = simulateRun(material, scenario('sudden-drop'), seed, 'loop', quiet);
      const adjusted = simulateRun(material, scenario('sudden-drop'), seed, 'loop', withResidual);
      assert.notEqual(adjusted.detectionMinutes, null);
      delays.push([adjusted.detectionMinutes ?? Infinity, plain.detectionMinutes ?? Infinity]);
    }
    for (const [adjusted, plain] of delays) assert.ok(adjusted <= plain, JSON.stringify(delays));
    assert.ok(
      delays.every(([adjusted]) => adjusted < 15),
      JSON.stringify(delays),
    );
    const quietWeek = simulateRun(material, scenario('no-change'), 3, 'loop', withResidual);
    assert.equal(quietWeek.falseAlarmsByFamily.qualification ?? 0, 0);
  });
});

describe('guarantee backtest', () => {
  it('guarantees a lower quantile that realised weeks reach about as often as promised', () => {
    const runs = [1, 2, 3, 4, 5, 6].map((seed) =>
      simulateRun(material, scenario('no-change'), seed, 'none', quiet),
    );
    const backtest = backtestGuarantee(runs, 0.1);
    assert.equal(backtest.periods, 6);
    assert.ok(backtest.meanGuaranteed < backtest.meanRealised, 'the guarantee sits below what is expected');
    assert.ok(backtest.held >= 4, `held ${backtest.held} of 6`);
    assert.ok(guaranteeLevel(100, 1440, 0.1) < 100 && guaranteeLevel(100, 1440, 0.1) > 70);
    assert.ok(
      guaranteeLevel(100, 1440, 0.01) < guaranteeLevel(100, 1440, 0.1),
      'a stricter quantile guarantees less',
    );
  });
});
