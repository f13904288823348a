export type { ForecastView, Insights, ThresholdLevels, ThresholdsView, ThresholdView } from './insights.ts';
export { leadRecord } from './lead-features.ts';
export type { EvaluationReport } from './learning.ts';
export type { TrainingReport } from './ml/index.ts';
export { readCsvFile, runCsvTraining } from './ml/index.ts';
export type {
  ModelMetrics,
  ModelStatus,
  ModelVersionRegistry,
  ModelVersionView,
  TrainingWindow,
} from './model-version-registry.ts';
export type {
  OutcomeImportSummary,
  OutcomeInput,
  OutcomeListener,
  OutcomeResult,
  OutcomeService,
  StoredOutcome,
} from './outcomes.ts';
export { outcomeInputSchema } from './outcomes.ts';
export type { PeriodForecast } from './period-forecast.ts';
export type { Condition, PointRule, RuleSet } from './point-rules.ts';
export {
  conditionSchema,
  DEFAULT_RULE_SET,
  pointRuleSchema,
  ruleSetSchema,
  scoreLead,
} from './point-rules.ts';
export type { ModelsOverview, PredictiveScoring, PredictiveScoringOptions } from './predictive-scoring.ts';
export { createPredictiveScoring } from './predictive-scoring.ts';
export type { LeadScoreView, Prediction } from './predictive-stage.ts';
export { createRuleScoringStage } from './rule-scoring-stage.ts';
export type { RulesRepository, StoredRuleSet } from './rules-repository.ts';
export { createRulesRepository } from './rules-repository.ts';
export type { ScoringSettings, ScoringSettingsInput } from './scoring-state.ts';
export { scoringSettingsSchema } from './scoring-state.ts';
export type { TrainingExclusions, TrainingResult } from './training-service.ts';
