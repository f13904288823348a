/**
 * Workflow generation from a plain-language goal: the offline play library, the real-model path
 * with a repair loop, and the fixture properties the generation bench checks.
 */
export type {
  GeneratedWorkflow,
  GenerateRequest,
  GenerationRefusal,
} from './generate.ts';
export { generateWorkflow } from './generate.ts';

export type { GoalFixture } from './goal-properties.ts';
export { unmetProperties } from './goal-properties.ts';
