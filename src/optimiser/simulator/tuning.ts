import type { BankMaterial } from './bank-stream.ts';
import type { LoopParams } from './loop-policy.ts';
import { INITIAL_LOOP_PARAMS, RESIDUAL_BUDGET } from './loop-policy.ts';
import type { RunResult } from './run.ts';
import { simulateRun } from './run.ts';
import type { Scenario } from './scenarios.ts';
import { NULL_WEEK_MINUTES, TUNING_SEEDS_FROM } from './scenarios.ts';
import type { AlarmFamily } from './world.ts';

/**
 * Threshold tuning on no-change weeks drawn from TUNING_SEEDS only. Each family of detectors gets
 * a share of the < 1 false alarm per week budget; for each family the most sensitive candidate
 * whose false alarms per week stay within its share wins. Sensitivity settings (the shifts the
 * CUSUMs are tuned for) stay as the anchors set them.
 */
const FAMILY_BUDGET: Record<Exclude<AlarmFamily, 'silence'>, number> = {
  qualification: 0.3,
  question: 0.1,
  workflow: 0.1,
  conversion: 0.1,
  psi: 0.1,
};

const TUNING_GRID = {
  qualH: [7, 8, 9, 10, 11, 12, 14, 16],
  dropH: [6, 7, 8, 9, 10, 11, 12, 14],
  bounceH: [6, 7, 8, 9, 10, 11, 12, 14],
  conversionThreshold: [30, 40, 50, 60, 80, 100, 130, 160],
  adwinDelta: [0.001, 5e-4, 2e-4, 1e-4, 5e-5, 2e-5, 1e-5, 5e-6],
  psiQuantile: [0.99999, 0.999995, 0.999999, 0.9999995, 0.9999999, 0.99999995, 0.99999999, 0.999999995],
} as const;

export interface TuningReport {
  weeksPerCandidate: number;
  falseAlarmsPerWeek: Record<string, number>[];
  chosen: LoopParams;
}

function candidate(i: number): LoopParams {
  const g = TUNING_GRID;
  return {
    ...INITIAL_LOOP_PARAMS,
    qualH: g.qualH[i] ?? INITIAL_LOOP_PARAMS.qualH,
    dropH: g.dropH[i] ?? INITIAL_LOOP_PARAMS.dropH,
    bounceH: g.bounceH[i] ?? INITIAL_LOOP_PARAMS.bounceH,
    conversionThreshold: g.conversionThreshold[i] ?? INITIAL_LOOP_PARAMS.conversionThreshold,
    adwinDelta: g.adwinDelta[i] ?? INITIAL_LOOP_PARAMS.adwinDelta,
    psiQuantile: g.psiQuantile[i] ?? INITIAL_LOOP_PARAMS.psiQuantile,
  };
}

export function tuneLoop(material: BankMaterial, noChange: Scenario, weeks: number): TuningReport {
  const perCandidate: Record<string, number>[] = [];
  for (let i = 0; i < TUNING_GRID.qualH.length; i++) {
    const runs: RunResult[] = [];
    for (let w = 0; w < weeks; w++)
      runs.push(simulateRun(material, noChange, TUNING_SEEDS_FROM + w, 'loop', candidate(i)));
    const total = runs.reduce((a, r) => a + r.monitoredMinutes, 0) / NULL_WEEK_MINUTES;
    const rates: Record<string, number> = {};
    for (const r of runs)
      for (const [k, v] of Object.entries(r.falseAlarmsByFamily))
        rates[k] = (rates[k] ?? 0) + (v ?? 0) / total;
    perCandidate.push(rates);
  }
  const pick = (family: keyof typeof FAMILY_BUDGET) => {
    const i = perCandidate.findIndex((rates) => (rates[family] ?? 0) <= FAMILY_BUDGET[family]);
    return candidate(i < 0 ? perCandidate.length - 1 : i);
  };
  const chosen: LoopParams = {
    ...INITIAL_LOOP_PARAMS,
    qualH: pick('qualification').qualH,
    dropH: pick('question').dropH,
    bounceH: pick('workflow').bounceH,
    conversionThreshold: pick('conversion').conversionThreshold,
    adwinDelta: pick('conversion').adwinDelta,
    psiQuantile: pick('psi').psiQuantile,
    residualBudget: RESIDUAL_BUDGET,
  };
  return { weeksPerCandidate: weeks, falseAlarmsPerWeek: perCandidate, chosen };
}
