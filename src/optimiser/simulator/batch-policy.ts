import { normalQuantile } from '../../core/index.ts';
import { poissonCdf, proportionDropZ } from '../detectors/rate-tests.ts';
import type { Baseline } from './baseline.ts';
import type { Policy } from './loop-policy.ts';
import { BATCH_PERIOD_MINUTES } from './scenarios.ts';
import type { Alarm } from './world.ts';

/**
 * The comparator: the prototype's 6-hour cycle. Every six hours it runs fixed-horizon tests on
 * the six hours just gone (the same streams the loop watches), Bonferroni-corrected so a week of
 * runs spends about half a false alarm, and acts on what is significant.
 */
export function createBatchPolicy(baseline: Baseline, phase: number): Policy {
  const streams =
    baseline.qualificationStreams.length +
    baseline.dropoff.length +
    baseline.bounce.size +
    baseline.arrivalsPerMinute.size +
    1;
  const alpha = 0.5 / ((10_080 / BATCH_PERIOD_MINUTES) * streams);
  const zCrit = normalQuantile(1 - alpha);
  let counts = freshCounts();
  let windowStart = -1;
  return {
    observeMinute(minute, observations, revealed) {
      if (windowStart < 0) windowStart = minute;
      for (const o of observations) {
        if (!o.arrived) continue;
        bump(counts.arrivals, `source:${o.lead.source}`, 1, 0);
        const reached = o.droppedAt === 0 ? 4 : o.droppedAt;
        for (let q = 0; q < reached; q++)
          bump(counts.questions, `question:${q + 1}`, 1, o.droppedAt === q + 1 ? 1 : 0);
        if (!o.completed) continue;
        for (const key of ['all', `industry:${o.lead.industry}`, `source:${o.lead.source}`])
          bump(counts.qual, key, 1, o.qualified ? 1 : 0);
        if (o.qualified) bump(counts.bounce, `variant:${o.lead.variant}`, 1, o.bounced ? 1 : 0);
      }
      for (const o of revealed) bump(counts.conversion, 'all', 1, o.converted ? 1 : 0);
      if ((minute - phase) % BATCH_PERIOD_MINUTES !== 0) return [];
      const alarms: Alarm[] = [];
      for (const [key, [n, x]] of counts.qual) {
        if (
          -proportionDropZ(
            x,
            n,
            baseline.qualification.get(key) ?? 0,
            baseline.qualificationTrials.get(key),
          ) > zCrit
        )
          alarms.push({ minute, family: 'qualification', stream: key, statistic: x / n });
      }
      for (const [key, [n, x]] of counts.questions) {
        const q = Number(key.slice(9)) - 1;
        if (proportionDropZ(x, n, baseline.dropoff[q] ?? 0, baseline.dropoffTrials[q]) > zCrit)
          alarms.push({ minute, family: 'question', stream: key, statistic: x / n });
      }
      for (const [key, [n, x]] of counts.bounce) {
        if (proportionDropZ(x, n, baseline.bounce.get(key) ?? 0, baseline.bounceTrials.get(key)) > zCrit)
          alarms.push({ minute, family: 'workflow', stream: key, statistic: x / n });
      }
      for (const [key, rate] of baseline.arrivalsPerMinute) {
        const seen = counts.arrivals.get(key)?.[0] ?? 0;
        if (poissonCdf(seen, rate * (minute + 1 - windowStart)) < alpha)
          alarms.push({ minute, family: 'silence', stream: key, statistic: seen });
      }
      const [n = 0, x = 0] = counts.conversion.get('all') ?? [];
      if (-proportionDropZ(x, n, baseline.conversion, baseline.conversionTrials) > zCrit)
        alarms.push({ minute, family: 'conversion', stream: 'all', statistic: x / n });
      counts = freshCounts();
      windowStart = minute + 1;
      return alarms;
    },
  };
}

type Counts = Map<string, [number, number]>;

function freshCounts(): {
  qual: Counts;
  questions: Counts;
  bounce: Counts;
  arrivals: Counts;
  conversion: Counts;
} {
  return {
    qual: new Map(),
    questions: new Map(),
    bounce: new Map(),
    arrivals: new Map(),
    conversion: new Map(),
  };
}

function bump(map: Counts, key: string, n: number, x: number): void {
  const c = map.get(key) ?? [0, 0];
  c[0] += n;
  c[1] += x;
  map.set(key, c);
}
