/**
 * npm run bench:optimiser — the closed-loop simulator (docs/optimiser.md). Replays the
 * bank-marketing file at 10 leads per simulated minute through the frozen scenarios and reports,
 * per scenario, detection delay, false alarms per week, lost conversions against the oracle and
 * the 6-hour batch, and automatic changes rolled back: first with the anchor-based settings
 * (the first run), then with settings tuned on tuning seeds the report never uses.
 *
 * Two further measures (their own keys in the JSON; the scenario figures keep their meaning):
 * `splits` — a workflow split under the hourly Thompson decision against a fixed even split, and
 * `learnedOptimizers` — segment calls from rates pooled across business units against the written
 * rules on one unit's outcomes (src/optimiser/simulator/split-sim.ts, pooled-world.ts).
 *
 * `modelHealth` — model-call streams (1% failed calls, lognormal latency) through the live model
 * detectors: false alarms per simulated week without a change, and detection delay of an error
 * spike (1% → 20%) and a latency rise (×3) (src/optimiser/simulator/model-health.ts).
 *
 * `replies` — one workflow's e-mail sends, each answered with probability 8% after a lognormal
 * delay, through the live reply-collapse stream: false alarms per simulated week without a change,
 * and detection delay of a collapse to 3% (src/optimiser/simulator/workflow-replies.ts).
 *
 * Options: --runs N (runs per fault scenario; default the frozen count), --null-weeks N,
 * --tuning-weeks N (default 6), --only-extras (run only the two further measures and merge them
 * into the existing bench/results/optimiser.json), --only-model-health (the same for
 * `modelHealth`), --only-replies (the same for `replies`). Results go to bench/results/optimiser.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { binOf, quantileOf } from '../src/analytics/histogram.ts';
import { type LearnedConversions, learnedCall, learnRates, ruleCall } from '../src/council/index.ts';
import { parseBankCsv, prepareBankMaterial } from '../src/optimiser/simulator/bank-stream.ts';
import { runScenarioSet } from '../src/optimiser/simulator/bench-runner.ts';
import { type ModelHealthScenario, simulateModelHealth } from '../src/optimiser/simulator/model-health.ts';
import { type CellCall, type CellPolicy, simulatePooled } from '../src/optimiser/simulator/pooled-world.ts';
import { simulateSplits } from '../src/optimiser/simulator/split-sim.ts';
import { type ReplyScenario, simulateReplies } from '../src/optimiser/simulator/workflow-replies.ts';
import { bankMarketingCsv } from './support.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    'null-weeks': { type: 'string' },
    'tuning-weeks': { type: 'string', default: '6' },
    data: { type: 'string' },
    'only-extras': { type: 'boolean', default: false },
    'only-model-health': { type: 'boolean', default: false },
    'only-replies': { type: 'boolean', default: false },
  },
});
const dataPath = bankMarketingCsv(values.data);
const started = Date.now();
const csv = readFileSync(dataPath, 'utf8');
const resultPath = join(here, 'results', 'optimiser.json');

/** The split and learned-optimizer measures (seeded; simulated time, so load does not move them). */
function extras() {
  const bounds = { floor: 0.1, maxStep: 0.1 };
  const splits = {
    settings: { ...bounds, decision: 'hourly Thompson (default policy bounds)', outcomeDelayHours: 24 },
    scenarios: simulateSplits(
      [
        {
          name: 'variant B converts 30% more (11.3% vs 14.7%)',
          rates: [0.113, 0.147],
          leadsPerHour: 20,
          hours: 336,
          delayHours: 24,
        },
        {
          name: 'no difference (11.3% both)',
          rates: [0.113, 0.113],
          leadsPerHour: 20,
          hours: 336,
          delayHours: 24,
        },
        {
          name: 'three variants (11.3%, 9%, 14%)',
          rates: [0.113, 0.09, 0.14],
          leadsPerHour: 20,
          hours: 336,
          delayHours: 24,
        },
      ],
      20,
      bounds,
    ),
  };
  const material = prepareBankMaterial(parseBankCsv(csv));
  const asLearned = (cells: Parameters<CellPolicy>[0], unit: number): LearnedConversions => ({
    windowDays: 365,
    cells: cells.map((c) => ({
      industry: c.key,
      region: '-',
      dealBand: '-',
      units: c.units.map((u, i) => ({ self: i === unit, ...u })),
    })),
  });
  const policies: Record<string, CellPolicy> = {
    'no change (route every segment)': (cells) => new Map(cells.map((c) => [c.key, 'keep' as CellCall])),
    "written rule (the unit's own outcomes)": (cells, unit) =>
      new Map(cells.map((c) => [c.key, ruleCall(c.units[unit] ?? { leads: 0, conversions: 0 })])),
    'learned (pooled across units; rule where < 30 outcomes)': (cells, unit) =>
      new Map(
        learnRates(asLearned(cells, unit)).rates.map((r) => [r.industry, learnedCall(r) ?? ruleCall(r.own)]),
      ),
  };
  const pooledOptions = {
    unitSizes: [1, 0.25, 0.1, 0.05],
    outcomesPerUnit: 4000,
    logitSpread: 0.3,
    cost: 0.1,
    seeds: 30,
  };
  const learnedOptimizers = {
    settings: {
      ...pooledOptions,
      segments: 'job × champion-score tercile of the bank-marketing file (≥ 50 rows each)',
      value:
        'conversions minus rep cost (0.10 conversion a worked lead); the oracle stops exactly the segments below 10%',
    },
    policies: simulatePooled(material, policies, pooledOptions),
  };
  return { splits, learnedOptimizers };
}

const printExtras = (e: ReturnType<typeof extras>) => {
  console.log(
    '\nsplit | leads | oracle | fixed 50/50 | Thompson | regret fixed | regret Thompson | best share at end',
  );
  for (const r of e.splits.scenarios)
    console.log(
      `${r.scenario} | ${r.leads} | ${r.oracle} | ${r.fixed} | ${r.thompson} | ${r.regretFixed} | ${r.regretThompson} | ${r.finalBestShare}`,
    );
  console.log(
    '\npolicy | regret (units 1, 0.25, 0.1, 0.05) | regret | wrong stops | missed stops | conversions | leads worked',
  );
  for (const p of e.learnedOptimizers.policies)
    console.log(
      `${p.policy} | ${p.regretByUnit.join(', ')} | ${p.regret} | ${p.wrongStops} | ${p.missedStops} | ${p.conversions} | ${p.leadsWorked}`,
    );
};

/** Runs per scenario of the live-stream replays, and how their alarms are counted. */
const STREAM_RUNS = {
  runs: 30,
  alarm: 'repeats within 60 minutes of an alarm of the same stream count once (an open alert)',
} as const;

/**
 * Model-call streams at two volumes: 5 calls a minute (a council decision or two and the chat's
 * calls at 10 leads a minute) and 1 a minute (a quiet workspace). Two simulated weeks without a
 * change per run; faults start an hour after the reference day.
 */
async function modelHealth() {
  const base = { errorRate: 0.01, latencyMedian: 1.2, latencySigma: 0.5 };
  const scenarios: ModelHealthScenario[] = [5, 1].flatMap((callsPerMinute) => [
    { name: `no change (${callsPerMinute}/min)`, callsPerMinute, ...base, minutes: 2 * 7 * 1440 },
    {
      name: `error spike 1% → 20% (${callsPerMinute}/min)`,
      callsPerMinute,
      ...base,
      fault: { errorRate: 0.2 },
      faultAfterMinutes: 60,
      minutes: 60 + 360,
    },
    {
      name: `latency ×3 (${callsPerMinute}/min)`,
      callsPerMinute,
      ...base,
      fault: { latencyFactor: 3 },
      faultAfterMinutes: 60,
      minutes: 60 + 360,
    },
  ]);
  const scenariosOut = await simulateModelHealth(scenarios, STREAM_RUNS.runs, { binOf, quantileOf });
  return {
    settings: {
      ...STREAM_RUNS,
      errorRate: base.errorRate,
      latency: `lognormal, median ${base.latencyMedian} s, σ ${base.latencySigma}`,
    },
    scenarios: scenariosOut,
  };
}

const printModelHealth = (h: Awaited<ReturnType<typeof modelHealth>>) => {
  console.log('\nmodel health | detected | median (p90) min | false alarms/week errors | latency');
  for (const r of h.scenarios)
    console.log(
      `${r.scenario} | ${r.detected ?? '-'} | ${r.medianDetectionMinutes ?? '-'} (${r.p90DetectionMinutes ?? '-'}) | ${r.falseAlarmsPerWeek.errors} | ${r.falseAlarmsPerWeek.latency}`,
    );
};

/**
 * Reply streams at two volumes: 1 send a minute (about 115 replies a day) and 0.25 a minute (about
 * 29 a day, just over the 20 replies the reference day needs). Replies come after a lognormal delay
 * (median 1 h, σ 1: a p90 near 3.6 h). One simulated week without a change per run; collapses start
 * an hour after the reference day and are watched for two days.
 */
function replies() {
  const base = { replyRate: 0.08, replyDelayMedian: 60, replyDelaySigma: 1 };
  const scenarios: ReplyScenario[] = [1, 0.25].flatMap((sendsPerMinute) => [
    {
      name: `no change, 8% replies (${sendsPerMinute} sends/min)`,
      sendsPerMinute,
      ...base,
      minutes: 7 * 1440,
    },
    ...[0.04, 0.03].map((collapseTo) => ({
      name: `collapse 8% → ${collapseTo * 100}% (${sendsPerMinute} sends/min)`,
      sendsPerMinute,
      ...base,
      collapseTo,
      collapseAfterMinutes: 60,
      minutes: 60 + 2 * 1440,
    })),
  ]);
  return {
    settings: {
      ...STREAM_RUNS,
      replyRate: base.replyRate,
      replyDelay: `lognormal, median ${base.replyDelayMedian} min, σ ${base.replyDelaySigma}`,
    },
    scenarios: simulateReplies(scenarios, STREAM_RUNS.runs),
  };
}

const printReplies = (r: ReturnType<typeof replies>) => {
  console.log('\nreplies | detected | median (p90) min | false alarms/week (count) | other streams');
  for (const x of r.scenarios)
    console.log(
      `${x.scenario} | ${x.detected ?? '-'} | ${x.medianDetectionMinutes ?? '-'} (${x.p90DetectionMinutes ?? '-'}) | ${x.falseAlarmsPerWeek} (${x.falseAlarms}) | ${x.otherStreamAlarms}`,
    );
};

const note =
  'measured on a shared 2-core machine while other work ran; figures are simulated minutes, not wall time';
let out: Record<string, unknown>;
if (values['only-replies']) {
  const previous = existsSync(resultPath) ? JSON.parse(readFileSync(resultPath, 'utf8')) : {};
  const r = replies();
  printReplies(r);
  out = { ...previous, replies: r, repliesMeasuredAt: new Date().toISOString() };
} else if (values['only-model-health']) {
  const previous = existsSync(resultPath) ? JSON.parse(readFileSync(resultPath, 'utf8')) : {};
  const h = await modelHealth();
  printModelHealth(h);
  out = { ...previous, modelHealth: h, modelHealthMeasuredAt: new Date().toISOString() };
} else if (values['only-extras']) {
  const previous = existsSync(resultPath) ? JSON.parse(readFileSync(resultPath, 'utf8')) : {};
  const e = extras();
  printExtras(e);
  out = {
    ...previous,
    ...e,
    extrasMeasuredAt: new Date().toISOString(),
    extrasSeconds: Math.round((Date.now() - started) / 1000),
  };
} else {
  const report = runScenarioSet(csv, {
    runs: values.runs ? Number(values.runs) : undefined,
    nullWeeks: values['null-weeks'] ? Number(values['null-weeks']) : undefined,
    tuningWeeks: Number(values['tuning-weeks']),
    log: (line) => console.log(line),
  });
  const e = extras();
  printExtras(e);
  const h = await modelHealth();
  printModelHealth(h);
  const r = replies();
  printReplies(r);
  out = {
    ...report,
    ...e,
    modelHealth: h,
    replies: r,
    measuredAt: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    note,
  };
}
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(resultPath, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote bench/results/optimiser.json in ${Math.round((Date.now() - started) / 1000)} s`);
