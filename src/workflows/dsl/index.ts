/**
 * The workflow DSL: zod schemas of a versioned workflow document (triggers, a step graph with
 * stable ids, settings), its validation ({@link parseWorkflow}: schema, then graph checks), the
 * edges a run can take ({@link stepEdges}), the derived `lead.region`, and the JSON Schema.
 * Used by the engine, the verifier, the generator and the n8n converter.
 */

export { stepEdges, triggerStart } from './graph.ts';
export type {
  Comparison,
  ComparisonOperator,
  Predicate,
  Scalar,
} from './predicate.ts';
export {
  FIELD_REF_PATTERN,
  predicateKind,
} from './predicate.ts';
export type { Region } from './regions.ts';
export {
  countriesOfRegion,
  EEA_EXTRA_COUNTRIES,
  EU_COUNTRIES,
  REGIONS,
  regionOf,
  UK_COUNTRIES,
} from './regions.ts';
export type {
  EffectClass,
  JsonTemplate,
  Sharing,
  Step,
  StepOf,
} from './steps.ts';
export { EFFECT_CLASS, stepSchema } from './steps.ts';
export type { Trigger } from './triggers.ts';
export { triggerSchema } from './triggers.ts';
export type { Workflow, WorkflowIssue } from './workflow.ts';
export {
  findUnboundedCycle,
  parseWorkflow,
  stepMap,
  workflowJsonSchema,
  workflowSchema,
} from './workflow.ts';
