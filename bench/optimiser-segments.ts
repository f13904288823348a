/**
 * npm run bench:optimiser:segments — false alarms of the per-segment conversion streams. The live
 * monitor runs Page-Hinkley and ADWIN per segment (live/outcome-streams.ts); the main simulator
 * bench pools conversions into one pair. This runs the tuned loop with the live streams instead
 * (all, each industry, source, region and playbook: regions are a seeded draw, playbooks the bank
 * file's contact channel), on the
 * report seeds' no-change weeks and sudden-drop runs, with the live settings as they were
 * (`before`: no split of the alarm budget) and as they are (`after`), and reports false alarms per
 * simulated week in total, per family and per kind of conversion stream, the sudden drop's
 * detection with the whole loop, and the conversion streams' own delay on faults left unrepaired
 * (alarms change nothing): the sudden drop (rejected leads get no outcome, so the conversion rate
 * of outcomes does not move: a blind spot by construction) and the broken workflow (bounced leads
 * never convert: every segment's conversion rate falls).
 *
 * Options: --null-weeks N (default 30), --runs N (runs per fault scenario, default 30), --data PATH,
 * --only-live (only the streams as the monitor runs them, merged into the results as `allKinds`).
 * Results go to bench/results/optimiser-segments.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseBankCsv, prepareBankMaterial } from '../src/optimiser/simulator/bank-stream.ts';
import type { LoopParams } from '../src/optimiser/simulator/loop-policy.ts';
import { type RunResult, simulateRun } from '../src/optimiser/simulator/run.ts';
import {
  NULL_WEEK_MINUTES,
  REPORT_SEEDS_FROM,
  SCENARIOS,
  type Scenario,
} from '../src/optimiser/simulator/scenarios.ts';
import { summarise } from '../src/optimiser/simulator/summary.ts';
import { bankMarketingCsv } from './support.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    'null-weeks': { type: 'string', default: '30' },
    runs: { type: 'string', default: '30' },
    data: { type: 'string' },
    'only-live': { type: 'boolean', default: false },
  },
});
const dataPath = bankMarketingCsv(values.data);
const material = prepareBankMaterial(parseBankCsv(readFileSync(dataPath, 'utf8')));
const tuned = JSON.parse(readFileSync(join(here, 'results', 'optimiser.json'), 'utf8')).tuned
  .params as LoopParams;
const scenario = (name: string): Scenario => {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(`no scenario ${name}`);
  return found;
};
const noChange = scenario('no-change');
const drop = scenario('sudden-drop');
const broken = scenario('broken-workflow');
const weeks = Number(values['null-weeks']);
const faultRuns = Number(values.runs);
const seeds = (n: number) => Array.from({ length: n }, (_, i) => REPORT_SEEDS_FROM + i);

/** The live settings before the alarm budget was split across the watched streams. */
const BEFORE = { budgetSplit: false } as const;

/** The kind of a conversion alarm's stream: the pooled pair's (`all`, `all:adwin`), or the live streams'. */
const kindOf = (key: string) => {
  if (!key.startsWith('conversion/')) return null;
  const stream = key.slice('conversion/'.length);
  if (stream === 'all' || stream === 'all:adwin') return 'pooled';
  const segment = stream.replace(/^conversion:/, '');
  return segment === 'all' ? 'all' : (segment.split(':', 1)[0] ?? segment);
};

/** Conversion-stream detection on a fault left in place (alarms change nothing): median and which stream. */
function conversionDelay(scenario: Scenario, params: LoopParams) {
  const runs = seeds(faultRuns).map((seed) =>
    simulateRun(material, scenario, seed, 'loop', params, { observeOnly: true }),
  );
  const delays = runs
    .map((r) => r.conversionDetection?.minutes ?? Number.POSITIVE_INFINITY)
    .sort((a, b) => a - b);
  const median = delays[Math.floor(delays.length / 2)] ?? Number.POSITIVE_INFINITY;
  const firstBy: Record<string, number> = {};
  for (const r of runs)
    if (r.conversionDetection)
      firstBy[r.conversionDetection.stream] = (firstBy[r.conversionDetection.stream] ?? 0) + 1;
  return {
    runs: runs.length,
    detected: runs.filter((r) => r.conversionDetection).length,
    medianMinutes: Number.isFinite(median) ? median : null,
    firstBy,
  };
}

function measure(label: string, params: LoopParams) {
  const nulls: RunResult[] = seeds(weeks).map((seed) =>
    simulateRun(material, noChange, seed, 'loop', params),
  );
  const simWeeks = nulls.reduce((a, r) => a + r.monitoredMinutes, 0) / NULL_WEEK_MINUTES;
  const byKind: Record<string, number> = {};
  for (const r of nulls)
    for (const [stream, n] of Object.entries(r.falseAlarmsByStream)) {
      const kind = kindOf(stream);
      if (kind) byKind[kind] = (byKind[kind] ?? 0) + n;
    }
  const perWeek = (n: number) => Math.round((n / simWeeks) * 1000) / 1000;
  const summary = summarise(nulls);
  const loopDrop = summarise(
    seeds(faultRuns).map((seed) => simulateRun(material, drop, seed, 'loop', params)),
  );
  const result = {
    label,
    noChange: {
      weeks: simWeeks,
      falseAlarmsPerWeek: summary.falseAlarmsPerWeek,
      upper95: summary.falseAlarmsPerWeekUpper95,
      perFamily: Object.fromEntries(
        Object.entries(summary.falseAlarmsByFamily).map(([k, n]) => [k, perWeek(n)]),
      ),
      conversionPerKind: Object.fromEntries(Object.entries(byKind).map(([k, n]) => [k, perWeek(n)])),
    },
    suddenDrop: {
      loopMedianDetectionMinutes: loopDrop.medianDetectionMinutes,
      loopP90DetectionMinutes: loopDrop.p90DetectionMinutes,
      loopDetected: `${loopDrop.detected}/${loopDrop.runs}`,
      conversionStreams: conversionDelay(drop, params),
    },
    brokenWorkflowConversionStreams: conversionDelay(broken, params),
  };
  console.log(JSON.stringify(result));
  return result;
}

const started = Date.now();
if (values['only-live']) {
  // Only the streams as the monitor runs them, merged into the previous results under their own key.
  const path = join(here, 'results', 'optimiser-segments.json');
  const previous = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  const live = measure('per-segment live streams, all five kinds (as the monitor runs them)', {
    ...tuned,
    segmentOutcomes: true,
  });
  const allKinds = { weeks, faultRuns, result: live, seconds: (Date.now() - started) / 1000 };
  writeFileSync(path, `${JSON.stringify({ ...previous, allKinds }, null, 2)}\n`);
  process.exit(0);
}
const results = [
  measure('pooled conversion pair (the main bench)', tuned),
  measure('per-segment live streams, before the budget split', {
    ...tuned,
    segmentOutcomes: true,
    outcomeOverrides: BEFORE,
  }),
  measure('per-segment live streams, as the monitor runs them', { ...tuned, segmentOutcomes: true }),
];
writeFileSync(
  join(here, 'results', 'optimiser-segments.json'),
  `${JSON.stringify({ weeks, faultRuns, seeds: `${REPORT_SEEDS_FROM}..`, results, seconds: (Date.now() - started) / 1000 }, null, 2)}\n`,
);
