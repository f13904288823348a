import type { RunResult } from './run.ts';
import { NULL_WEEK_MINUTES } from './scenarios.ts';

/** Per-scenario figures the bench reports (docs/optimiser.md explains each). */
export interface ScenarioSummary {
  runs: number;
  detected: number;
  medianDetectionMinutes: number | null;
  p90DetectionMinutes: number | null;
  medianDetectionEvents: number | null;
  falseAlarmsPerWeek: number;
  falseAlarmsPerWeekUpper95: number;
  falseAlarmsByFamily: Record<string, number>;
  changes: number;
  rolledBack: number;
  meanLostConversions: number;
}

export function summarise(results: readonly RunResult[]): ScenarioSummary {
  const detected = results.filter((r) => r.detectionMinutes !== null);
  // Misses count as +∞ so the median and p90 stay honest when runs miss.
  const delays = results.map((r) => r.detectionMinutes ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
  const events = detected.map((r) => r.detectionEvents ?? 0).sort((a, b) => a - b);
  const weeks = results.reduce((a, r) => a + r.monitoredMinutes, 0) / NULL_WEEK_MINUTES;
  const falseAlarms = results.reduce((a, r) => a + r.falseAlarms, 0);
  const byFamily: Record<string, number> = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.falseAlarmsByFamily)) byFamily[k] = (byFamily[k] ?? 0) + (v ?? 0);
  return {
    runs: results.length,
    detected: detected.length,
    medianDetectionMinutes: finite(quantile(delays, 0.5)),
    p90DetectionMinutes: finite(quantile(delays, 0.9)),
    medianDetectionEvents: events.length > 0 ? quantile(events, 0.5) : null,
    falseAlarmsPerWeek: round(falseAlarms / weeks),
    falseAlarmsPerWeekUpper95: round(poissonUpper95(falseAlarms) / weeks),
    falseAlarmsByFamily: byFamily,
    changes: results.reduce((a, r) => a + r.changes, 0),
    rolledBack: results.reduce((a, r) => a + r.rolledBack, 0),
    meanLostConversions: round(
      results.reduce((a, r) => a + r.lostConversions, 0) / Math.max(1, results.length),
    ),
  };
}

/** Upper 95% bound of a Poisson count (3.0 for zero, the "rule of three"). */
function poissonUpper95(count: number): number {
  if (count === 0) return 3;
  // Wilson–Hilferty on χ²(2k + 2) / 2 at 0.95.
  const k = 2 * count + 2;
  const a = 2 / (9 * k);
  return (k * (1 - a + 1.6448536 * Math.sqrt(a)) ** 3) / 2;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
