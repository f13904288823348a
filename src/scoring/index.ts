export type { Condition, PointRule, RuleSet, ScorableLead, ScoreLine, ScoreResult } from './point-rules.ts';
export {
  conditionSchema,
  DEFAULT_RULE_SET,
  pointRuleSchema,
  ruleSetSchema,
  scoreLead,
} from './point-rules.ts';
export type { RulesRepository, StoredRuleSet } from './rules-repository.ts';
export { createRulesRepository } from './rules-repository.ts';
