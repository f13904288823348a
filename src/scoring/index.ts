export type { TrainingReport } from './ml/index.ts';
export { readCsvFile, runCsvTraining } from './ml/index.ts';
export type { ModelVersionView } from './model-version-registry.ts';
export type { StoredOutcome } from './outcomes.ts';
export { outcomeInputSchema } from './outcomes.ts';
export {
  DEFAULT_RULE_SET,
  ruleSetSchema,
} from './point-rules.ts';
export type { PredictiveScoring } from './predictive-scoring.ts';
export { createPredictiveScoring } from './predictive-scoring.ts';
export type { Prediction } from './predictive-stage.ts';
export { createRuleScoringStage } from './rule-scoring-stage.ts';
export type { RulesRepository } from './rules-repository.ts';
export { createRulesRepository } from './rules-repository.ts';

export { scoringSettingsSchema } from './scoring-state.ts';
export type { TrainingExclusions } from './training-service.ts';
