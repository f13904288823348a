/**
 * Workflow generation from a plain-language goal: the offline play library, the real-model path
 * with a repair loop, and the fixture properties the generation bench checks.
 */
export type {
  GeneratedWorkflow,
  GenerateOptions,
  GenerateRequest,
  GenerationRefusal,
  StepExplanation,
} from './generate.ts';
export {
  GENERATE_TASK,
  generateOffline,
  generateRequestSchema,
  generateWorkflow,
  generationOutputSchema,
  MAX_REPAIR_ROUNDS,
  workflowGenerationSkill,
} from './generate.ts';
export type { GenerateConstraints } from './goal-parser.ts';
export type { GoalExpectation, GoalFixture } from './goal-properties.ts';
export { unmetProperties } from './goal-properties.ts';
export { PLAYS } from './plays.ts';
