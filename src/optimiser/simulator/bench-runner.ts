import { invariant } from '../../core/index.ts';
import { parseBankCsv, prepareBankMaterial } from './bank-stream.ts';
import type { GuaranteeBacktest } from './guarantee.ts';
import { backtestGuarantee } from './guarantee.ts';
import type { LoopParams } from './loop-policy.ts';
import { INITIAL_LOOP_PARAMS } from './loop-policy.ts';
import type { PolicyName, RunResult } from './run.ts';
import { simulateRun } from './run.ts';
import type { Scenario } from './scenarios.ts';
import { LEADS_PER_MINUTE, REPORT_SEEDS_FROM, SCENARIOS } from './scenarios.ts';
import type { ScenarioSummary } from './summary.ts';
import { summarise } from './summary.ts';
import type { TuningReport } from './tuning.ts';
import { tuneLoop } from './tuning.ts';

export interface ScenarioReport {
  name: string;
  description: string;
  loop: ScenarioSummary;
  batch: ScenarioSummary;
  /** Losses with no policy at all: what the fault costs over the horizon. */
  unmitigatedLostConversions: number;
  /** Loop's lost conversions as a share of the 6-hour batch's (target ≤ 0.5). */
  regretRatioVsBatch: number | null;
}

export interface BenchReport {
  leadsPerMinute: number;
  reportSeeds: string;
  firstRun: { params: LoopParams; scenarios: ScenarioReport[] };
  tuning: TuningReport;
  tuned: { params: LoopParams; scenarios: ScenarioReport[] };
  /** Weekly guarantees at the 10% lower quantile, backtested on the no-change weeks with no policy. */
  guarantee: GuaranteeBacktest;
}

/** Runs the whole bench: first run, tuning on tuning seeds, tuned run on the report seeds. */
export function runScenarioSet(
  csv: string,
  options: { runs?: number; nullWeeks?: number; tuningWeeks: number; log: (line: string) => void },
): BenchReport {
  const material = prepareBankMaterial(parseBankCsv(csv));
  const scenarios = SCENARIOS.map((s) => ({
    ...s,
    runs: (s.fault ? options.runs : options.nullWeeks) ?? s.runs,
  }));
  const seeds = (s: Scenario) => Array.from({ length: s.runs }, (_, i) => REPORT_SEEDS_FROM + i);
  const runAll = (s: Scenario, policy: PolicyName, params: LoopParams): RunResult[] =>
    seeds(s).map((seed) => simulateRun(material, s, seed, policy, params));
  // The batch and the no-policy runs do not depend on loop settings: run them once.
  const batch = new Map(scenarios.map((s) => [s.name, runAll(s, 'batch', INITIAL_LOOP_PARAMS)]));
  const none = new Map(scenarios.map((s) => [s.name, runAll(s, 'none', INITIAL_LOOP_PARAMS)]));
  options.log('batch and unmitigated runs done');
  const report = (params: LoopParams, label: string): ScenarioReport[] =>
    scenarios.map((s) => {
      const loop = summarise(runAll(s, 'loop', params));
      const b = summarise(batch.get(s.name) ?? []);
      const unmitigated = summarise(none.get(s.name) ?? []).meanLostConversions;
      const line: ScenarioReport = {
        name: s.name,
        description: s.description,
        loop,
        batch: b,
        unmitigatedLostConversions: unmitigated,
        regretRatioVsBatch:
          b.meanLostConversions > 0
            ? Math.round((loop.meanLostConversions / b.meanLostConversions) * 1000) / 1000
            : null,
      };
      options.log(
        `${label} ${s.name}: loop median ${loop.medianDetectionMinutes} min (p90 ${loop.p90DetectionMinutes}, ${loop.detected}/${loop.runs} detected, ${loop.medianDetectionEvents} events), ` +
          `FA/week ${loop.falseAlarmsPerWeek} (≤${loop.falseAlarmsPerWeekUpper95}), lost ${loop.meanLostConversions} vs batch ${b.meanLostConversions} (batch median ${b.medianDetectionMinutes} min), ` +
          `unmitigated ${unmitigated}, changes ${loop.changes}, rolled back ${loop.rolledBack}`,
      );
      return line;
    });
  const noChangeRuns = none.get('no-change') ?? [];
  const guarantee = backtestGuarantee(noChangeRuns, 0.1);
  options.log(`guarantee (weekly, 10% lower quantile): held ${guarantee.held}/${guarantee.periods}`);
  const firstRun = { params: INITIAL_LOOP_PARAMS, scenarios: report(INITIAL_LOOP_PARAMS, 'first run') };
  const noChange = scenarios.find((s) => !s.fault) ?? scenarios[0];
  invariant(noChange, 'no scenarios');
  const tuning = tuneLoop(material, noChange, options.tuningWeeks);
  options.log(`tuned on ${options.tuningWeeks} tuning weeks per candidate: ${JSON.stringify(tuning.chosen)}`);
  return {
    leadsPerMinute: LEADS_PER_MINUTE,
    reportSeeds: `${REPORT_SEEDS_FROM}..${REPORT_SEEDS_FROM + Math.max(...scenarios.map((s) => s.runs)) - 1}`,
    firstRun,
    tuning,
    tuned: { params: tuning.chosen, scenarios: report(tuning.chosen, 'tuned') },
    guarantee,
  };
}
