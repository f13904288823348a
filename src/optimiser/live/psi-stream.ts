import { psi, psiCriticalValue } from '../detectors/psi.ts';
import type { AlertEvidence } from './alerts.ts';

/**
 * A label-free leading indicator: the score distribution of the last hour's leads against the
 * reference day's (the same window the other streams' references use), by PSI. It fires when PSI
 * stays above 0.2 (the usual "significant shift" mark) and above what noise alone reaches for
 * these sample sizes (`psiCriticalValue` at the simulator's tuned quantile, 0.99999) for 15
 * minutes in a row: a drift in who arrives, or in how the model scores them, shows here hours
 * before conversions can.
 */
export const PSI_SETTINGS = {
  mark: 0.2,
  sustainMinutes: 15,
  windowMinutes: 60,
  minLeads: 30,
  quantile: 0.99999,
} as const;

export interface PsiState {
  reference: number[];
  /** Consecutive evaluated minutes above the mark. */
  above: number;
  since: number | null;
}

/** PSI of `current` against the reference, or null when either side is too thin to judge. */
export function scoreDrift(reference: readonly number[], current: readonly number[]) {
  const n = current.reduce((a, b) => a + b, 0);
  const m = reference.reduce((a, b) => a + b, 0);
  if (n < PSI_SETTINGS.minLeads || m < PSI_SETTINGS.minLeads) return null;
  const value = psi(reference, current);
  const critical = Math.max(
    PSI_SETTINGS.mark,
    psiCriticalValue(m, n, reference.length, PSI_SETTINGS.quantile),
  );
  return { value, critical, n, m };
}

/** One evaluation at `minute` (the end of the last hour); a firing when the shift has lasted. */
export function stepPsi(
  state: PsiState,
  minute: number,
  current: readonly number[],
  reference: { from: number; to: number },
): { stream: string; kind: 'score_psi_shift'; summary: string; evidence: AlertEvidence } | null {
  const drift = scoreDrift(state.reference, current);
  if (!drift || drift.value <= drift.critical) {
    state.above = 0;
    state.since = null;
    return null;
  }
  state.above += 1;
  state.since ??= minute;
  if (state.above !== PSI_SETTINGS.sustainMinutes) return null;
  return {
    stream: 'psi:all',
    kind: 'score_psi_shift',
    summary: `the score distribution shifted: PSI ${drift.value.toFixed(3)} over the last hour's ${drift.n} scored leads against the reference day's ${drift.m}, above ${drift.critical.toFixed(3)} for ${PSI_SETTINGS.sustainMinutes} minutes`,
    evidence: {
      detector: `PSI over ${state.reference.length} score bins, above max(${PSI_SETTINGS.mark}, noise at ${PSI_SETTINGS.quantile}) for ${PSI_SETTINGS.sustainMinutes} minutes`,
      metric: 'score_psi',
      segment: 'all',
      window: {
        from: (state.since - PSI_SETTINGS.windowMinutes) * 60_000,
        to: minute * 60_000,
      },
      baseline: { value: 0, count: drift.m, from: reference.from * 60_000, to: reference.to * 60_000 },
      observed: { value: drift.value, count: drift.n },
      statistic: drift.value,
      threshold: drift.critical,
    },
  };
}
