import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binOf, quantileOf } from '../src/analytics/histogram.ts';
import { MODEL_DETECTOR_SETTINGS } from '../src/optimiser/live/model-streams.ts';
import { simulateModelHealth } from '../src/optimiser/simulator/model-health.ts';

const BASE = { callsPerMinute: 5, errorRate: 0.01, latencyMedian: 1.2, latencySigma: 0.5 };

test('the model detectors find an error spike and a latency rise within minutes, and stay quiet without a change', async () => {
  const [quiet, spike, slow] = await simulateModelHealth(
    [
      { name: 'no change', ...BASE, minutes: 1440 },
      { name: 'spike', ...BASE, fault: { errorRate: 0.2 }, faultAfterMinutes: 30, minutes: 150 },
      { name: 'slow', ...BASE, fault: { latencyFactor: 3 }, faultAfterMinutes: 30, minutes: 150 },
    ],
    4,
    { binOf, quantileOf },
  );
  assert.ok(quiet && spike && slow);
  assert.equal(quiet.watchedWeeks, Math.round(((4 * 1440) / 10080) * 100) / 100);
  assert.ok(
    quiet.falseAlarmsPerWeek.errors <= 2 && quiet.falseAlarmsPerWeek.latency <= 2,
    JSON.stringify(quiet),
  );
  assert.equal(spike.detected, 4);
  assert.ok((spike.medianDetectionMinutes ?? 99) <= 15, JSON.stringify(spike));
  assert.equal(slow.detected, 4);
  assert.ok((slow.medianDetectionMinutes ?? 99) <= 10, JSON.stringify(slow));
});

test('a lower error threshold detects sooner: the settings reach the detectors', async () => {
  const scenario = {
    name: 'spike',
    ...BASE,
    callsPerMinute: 1,
    fault: { errorRate: 0.2 },
    faultAfterMinutes: 30,
    minutes: 240,
  };
  const [strict] = await simulateModelHealth([scenario], 6, { binOf, quantileOf });
  const [loose] = await simulateModelHealth(
    [scenario],
    6,
    { binOf, quantileOf },
    { ...MODEL_DETECTOR_SETTINGS, errorH: 4 },
  );
  assert.ok(strict && loose);
  assert.ok(
    (loose.medianDetectionMinutes ?? 999) < (strict.medianDetectionMinutes ?? 999),
    JSON.stringify({ strict, loose }),
  );
});
