import { decileEdges, rebin } from '../../core/index.ts';
import { psi, psiCriticalValue } from '../detectors/psi.ts';
import type { AlertEvidence } from './alerts.ts';

/**
 * A label-free leading indicator: the score distribution of the last hour's leads against the
 * champion's training scores (or, without them, the reference day's, see `PsiBasis`), by PSI. It fires when PSI
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

/**
 * What live scores are compared with. `training`: the champion's scores on its own training window
 * (stored with the version), in that window's deciles, against the champion's live score points;
 * `reference_day`: the day before the last hour of live lead scores, when there is no champion or
 * its version was trained before training scores were stored (`reason` says which).
 */
export type PsiBasis =
  | { kind: 'training'; champion: number; edges: number[]; rows: number; trainedAt: number }
  | { kind: 'reference_day'; champion: number | null; reason: string };

export interface PsiState {
  reference: number[];
  /** Consecutive evaluated minutes above the mark. */
  above: number;
  since: number | null;
  /** Absent in state stored before the basis was chosen (then it is chosen at the next run). */
  basis?: PsiBasis;
}

/** A model's training scores (rows per score point, 0–100), as its version stores them. */
export interface TrainingScores {
  points: number[];
  rows: number;
  trainedAt: number;
}

/**
 * The basis for the champion of the moment: its training scores when its version has them (and
 * enough rows), else the reference day, saying why.
 */
export function choosePsiBasis(
  champion: number | null,
  training: TrainingScores | null,
): { basis: PsiBasis; reference: number[] | null } {
  if (champion === null)
    return {
      basis: {
        kind: 'reference_day',
        champion,
        reason: 'no champion model (the point rules score): live scores against the reference day',
      },
      reference: null,
    };
  if (!training || training.rows < PSI_SETTINGS.minLeads)
    return {
      basis: {
        kind: 'reference_day',
        champion,
        reason: training
          ? `champion v${champion} stored only ${training.rows} training scores: live scores against the reference day`
          : `champion v${champion} was trained before training scores were stored with a version: live scores against the reference day`,
      },
      reference: null,
    };
  const edges = decileEdges(training.points);
  return {
    basis: { kind: 'training', champion, edges, rows: training.rows, trainedAt: training.trainedAt },
    reference: rebin(training.points, edges),
  };
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
  const basis = state.basis;
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
    summary:
      basis?.kind === 'training'
        ? `the champion's scores shifted from its training scores: PSI ${drift.value.toFixed(3)} over the last hour's ${drift.n} leads scored by v${basis.champion} against its ${drift.m} training rows, above ${drift.critical.toFixed(3)} for ${PSI_SETTINGS.sustainMinutes} minutes`
        : `the score distribution shifted: PSI ${drift.value.toFixed(3)} over the last hour's ${drift.n} scored leads against the reference day's ${drift.m}, above ${drift.critical.toFixed(3)} for ${PSI_SETTINGS.sustainMinutes} minutes${basis ? ` (${basis.reason})` : ''}`,
    evidence: {
      detector:
        basis?.kind === 'training'
          ? `PSI of champion v${basis.champion}'s live score points against its training scores, in the ${state.reference.length} bins of their deciles, above max(${PSI_SETTINGS.mark}, noise at ${PSI_SETTINGS.quantile}) for ${PSI_SETTINGS.sustainMinutes} minutes`
          : `PSI over ${state.reference.length} score bins against the reference day${basis ? ` (${basis.reason})` : ''}, above max(${PSI_SETTINGS.mark}, noise at ${PSI_SETTINGS.quantile}) for ${PSI_SETTINGS.sustainMinutes} minutes`,
      metric: 'score_psi',
      segment: 'all',
      window: {
        from: (state.since - PSI_SETTINGS.windowMinutes) * 60_000,
        to: minute * 60_000,
      },
      baseline:
        basis?.kind === 'training'
          ? { value: 0, count: drift.m, from: basis.trainedAt, to: basis.trainedAt }
          : { value: 0, count: drift.m, from: reference.from * 60_000, to: reference.to * 60_000 },
      observed: { value: drift.value, count: drift.n },
      statistic: drift.value,
      threshold: drift.critical,
    },
  };
}
