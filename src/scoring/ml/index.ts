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
export type { CalibrationChoice, CalibrationMethod, Calibrator } from './calibration.ts';
/** Fit, choose and apply calibrators. */
export {
  applyCalibrator,
  chooseCalibrator,
  fitIsotonic,
  fitPlatt,
  recalibratedLogLoss,
} from './calibration.ts';
/** Continuous learning: sliding-window retraining, recalibration, champion/challenger, rollback. */
export type { ContinuousLearner, ContinuousLearnerOptions, ModelVersion } from './continuous-learning.ts';
/** Create a learner; the benchmark's streaming settings. */
export { createContinuousLearner, STREAM_DEFAULTS } from './continuous-learning.ts';
/** CSV text or file to a table: delimiter sniffing, quotes, CRLF, `validation_failed` errors. */
export type { CsvDelimiter, CsvTable } from './csv-table.ts';
/** Parse CSV text, read a CSV file, or guess a delimiter. */
export { parseCsv, readCsvFile, sniffDelimiter } from './csv-table.ts';
/** `leadloop train --csv`: train on a CSV file and report on a holdout. */
export type { CandidateReport, CsvTrainingOptions, TrainingReport } from './csv-training.ts';
/** Run it; the split it uses; time-column ordering. */
export { holdoutSplit, orderByTime, runCsvTraining } from './csv-training.ts';
/** Rows as the pipeline reads them, whatever their origin (CSV rows, lead records). */
export type { ColumnReader, LeadRecord, RawValue, RowSource } from './dataset.ts';
/** Row sources over a table, records or a subset; yes/no target parsing. */
export { parseBooleanValue, readTarget, recordSource, subsetSource, tableSource } from './dataset.ts';
/** A spec fitted on training rows (imputation, scaling, levels, bins). */
export type { FeatureState, FittedPipeline } from './feature-pipeline.ts';
/** Fit a pipeline on rows. */
export { fitPipeline } from './feature-pipeline.ts';
/** Declared features: numeric, categorical, boolean columns and derived values. */
export type {
  FeatureDeclaration,
  FeatureKind,
  FeatureSource,
  FeatureSpec,
  SkippedColumn,
} from './feature-spec.ts';
/** Infer a spec from data; the JSON schema of a spec. */
export { featureSpecSchema, inferFeatureSpec } from './feature-spec.ts';
/** Forecast of conversions among the next N leads with an interval. */
export type { ConversionForecast, ForecastInput } from './forecast.ts';
/** Make a forecast. */
export { forecastConversions } from './forecast.ts';
/** Weights of each model family, as stored inside a `ScoringModel`. */
export type { BoostedTreesModel, TreeNodes } from './forest.ts';
export type { LogisticModel } from './logistic.ts';

/** Evaluation metrics. */
export type { Labels, ProbabilityMetrics, RateInterval } from './metrics.ts';
/** AUC (ties count half), log-loss, ECE (10 equal-width bins), Brier, lift, Wilson intervals. */
export {
  auc,
  brierScore,
  evaluateProbabilities,
  expectedCalibrationError,
  liftAt,
  logLoss,
  wilsonInterval,
} from './metrics.ts';
/** Store and load a model as JSON. */
export { parseScoringModel, serializeModel } from './model-json.ts';
/** Model fitting: both candidates, selection on a validation window, calibration. */
export type { TrainingOutcome, TrainModelOptions } from './model-training.ts';
/** Train a model; the boosting defaults; the minimum data a model needs. */
export { BOOSTED_DEFAULTS, MIN_CLASS_ROWS, MIN_TRAINING_ROWS, trainScoringModel } from './model-training.ts';
/** A trained model as plain data. */
export type { CandidateSummary, ModelKind, ModelMetadata, ScoringModel } from './model-types.ts';
/** Prequential (test-then-train) evaluation of a time-ordered stream. */
export type { ForecastCoverage, PrequentialOptions, PrequentialResult, StreamReport } from './prequential.ts';
/** Run a prequential evaluation; report AUC/ECE of a stream. */
export { runPrequential, streamReport } from './prequential.ts';
/** Seeded randomness for reproducible splits. */
export type { Random } from './random.ts';
/** A seeded uniform generator. */
export { createSeededRandom } from './random.ts';
/** Scoring with explanations. */
export type { LeadScore, ScoreFactor, Scorer } from './scorer.ts';
/** Compile a model for scoring. */
export { createScorer } from './scorer.ts';
/** Per-segment qualification thresholds with shrinkage toward the workspace. */
export type { ScoredOutcome, SegmentThreshold, ThresholdOptions, ThresholdPolicy } from './thresholds.ts';
/** Choose thresholds, look one up, measure realised profit per lead. */
export { chooseSegmentThresholds, profitPerLead, thresholdFor } from './thresholds.ts';
/** Choosing between training windows by recent log-loss (streaming, and its rule on its own). */
export { lowestLoss, MIN_SELECTION_OUTCOMES, selectAmongWindows } from './window-selection.ts';
