/**
 * Predictive scoring engine: CSV reading, a declared feature pipeline shared by training and
 * scoring, L2 logistic regression and histogram gradient-boosted trees, Platt/isotonic calibration,
 * explanations, JSON storage, continuous learning, per-segment thresholds and forecasts.
 *
 * @example
 * ```ts
 * const report = await runCsvTraining({ file: 'leads.csv', target: 'converted', drop: ['id'] });
 * console.log(report.holdout.auc, report.holdout.ece);
 * const stored = serializeModel(report.model); // a database row
 * const scorer = createScorer(parseScoringModel(stored));
 * const { probability, factors } = scorer.score({ source: 'referral', pages: 12 });
 * factors.map((f) => f.text); // ['source: referral (+0.61)', 'pages 12 (high) (+0.40)', ...]
 * ```
 */

/** Probability calibration. */

/** Fit, choose and apply calibrators. */
export {
  applyCalibrator,
  recalibratedLogLoss,
} from './calibration.ts';
/** Continuous learning: sliding-window retraining, recalibration, champion/challenger, rollback. */
export type { ContinuousLearnerOptions } from './continuous-learning.ts';
/** Create a learner; the benchmark's streaming settings. */
export { STREAM_DEFAULTS } from './continuous-learning.ts';
/** CSV text or file to a table: delimiter sniffing, quotes, CRLF, `validation_failed` errors. */
export type { CsvTable } from './csv-table.ts';
/** Parse CSV text, read a CSV file, or guess a delimiter. */
export { readCsvFile } from './csv-table.ts';
/** `leadloop train --csv`: train on a CSV file and report on a holdout. */
export type { TrainingReport } from './csv-training.ts';
/** Run it; the split it uses; time-column ordering. */
export { holdoutSplit, runCsvTraining } from './csv-training.ts';
/** Rows as the pipeline reads them, whatever their origin (CSV rows, lead records). */
export type { ColumnReader, LeadRecord, RawValue, RowSource } from './dataset.ts';
/** Row sources over a table, records or a subset; yes/no target parsing. */
export { parseBooleanValue, readTarget, recordSource, subsetSource, tableSource } from './dataset.ts';
/** A spec fitted on training rows (imputation, scaling, levels, bins). */
/** Fit a pipeline on rows. */

/** Declared features: numeric, categorical, boolean columns and derived values. */
export type {
  FeatureDeclaration,
  FeatureKind,
  FeatureSpec,
} from './feature-spec.ts';
/** Infer a spec from data; the JSON schema of a spec. */
export { inferFeatureSpec } from './feature-spec.ts';
/** Forecast of conversions among the next N leads with an interval. */
export type { ConversionForecast } from './forecast.ts';
/** Make a forecast. */
export { forecastConversions } from './forecast.ts';
/** Weights of each model family, as stored inside a `ScoringModel`. */

/** Evaluation metrics. */
export type { ProbabilityMetrics, RateInterval } from './metrics.ts';
/** AUC (ties count half), log-loss, ECE (10 equal-width bins), Brier, lift, Wilson intervals. */
export {
  auc,
  evaluateProbabilities,
  wilsonInterval,
} from './metrics.ts';
/** Store and load a model as JSON. */
export { parseScoringModel, serializeModel } from './model-json.ts';
/** Model fitting: both candidates, selection on a validation window, calibration. */
export type { TrainingOutcome } from './model-training.ts';
/** Train a model; the boosting defaults; the minimum data a model needs. */
export { trainScoringModel } from './model-training.ts';
/** A trained model as plain data. */
export type { CandidateSummary, ScoringModel } from './model-types.ts';
/** Prequential (test-then-train) evaluation of a time-ordered stream. */

/** Run a prequential evaluation; report AUC/ECE of a stream. */
export { runPrequential, streamReport } from './prequential.ts';
/** Seeded randomness for reproducible splits. */

/** A seeded uniform generator. */
export { createSeededRandom } from './random.ts';
/** Scoring with explanations. */
export type { ScoreFactor, Scorer } from './scorer.ts';
/** Compile a model for scoring. */
export { createScorer } from './scorer.ts';
/** Per-segment qualification thresholds with shrinkage toward the workspace. */
export type { ScoredOutcome } from './thresholds.ts';
/** Choose thresholds, look one up, measure realised profit per lead. */
export { chooseSegmentThresholds, profitPerLead, thresholdFor } from './thresholds.ts';
/** Choosing between training windows by recent log-loss (streaming, and its rule on its own). */
export { lowestLoss, MIN_SELECTION_OUTCOMES } from './window-selection.ts';
