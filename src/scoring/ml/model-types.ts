import type { CalibrationMethod, Calibrator } from './calibration.ts';
import type { FittedPipeline } from './feature-pipeline.ts';
import type { BoostedTreesModel } from './forest.ts';
import type { LogisticModel } from './logistic.ts';

export type ModelKind = 'logistic' | 'boosted';

/** How a candidate did on the validation window, which is what selection is based on. */
export interface CandidateSummary {
  kind: ModelKind;
  validationAuc: number;
  /** Out-of-fold log-loss of the chosen calibration method on the validation window. */
  validationLogLoss: number;
  calibration: CalibrationMethod;
  /** Logistic: the penalty picked; boosted: the number of trees kept by early stopping. */
  detail: string;
}

interface ModelMetadata {
  /** ISO time from the injected clock. */
  trainedAt: string;
  /** Rows the final weights were fitted on. */
  trainingRows: number;
  /** Rows that chose the settings, the calibrator and the model kind. */
  validationRows: number;
  positives: number;
  /** Share of positive outcomes in the training rows. */
  baseRate: number;
  validation: 'latest' | 'random';
  /** Whether the model was retrained on training + validation rows after selection. */
  refit: boolean;
  seed: number;
  candidates: CandidateSummary[];
  /** Why this kind of model was chosen. */
  selection: string;
}

/**
 * A trained scoring model as plain data: the fitted feature pipeline, the chosen model's weights,
 * its calibrator and how it was chosen. `JSON.stringify` of it is the stored form.
 */
export interface ScoringModel {
  format: 'leadloop.scoring-model';
  version: 1;
  kind: ModelKind;
  pipeline: FittedPipeline;
  logistic: LogisticModel | null;
  boosted: BoostedTreesModel | null;
  calibrator: Calibrator;
  metadata: ModelMetadata;
}
