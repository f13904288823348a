/**
 * The workflow DSL: zod schemas of a versioned workflow document (triggers, a step graph with
 * stable ids, settings), its validation ({@link parseWorkflow}: schema, then graph checks), the
 * edges a run can take ({@link stepEdges}), the derived `lead.region`, and the JSON Schema.
 * Used by the engine, the verifier, the generator and the n8n converter.
 */
export type { EdgeKind, StepEdge } from './graph.ts';
export { stepEdges, triggerStart } from './graph.ts';
export type {
  Comparison,
  ComparisonOperator,
  ConsentCheck,
  LeadField,
  Predicate,
  PredicateKind,
  PrivacyCheck,
  PrivacyCheckName,
  Scalar,
} from './predicate.ts';
export {
  COMPARISON_OPERATORS,
  FIELD_REF_PATTERN,
  fieldRefSchema,
  LEAD_FIELDS,
  PRIVACY_CHECKS,
  predicateKind,
  predicateSchema,
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
  AddToSequenceStep,
  AskCouncilStep,
  AssignOwnerStep,
  ChatMessageStep,
  ConditionStep,
  CrmUpsertStep,
  EffectClass,
  HttpRequestStep,
  JsonTemplate,
  LoopStep,
  NoopStep,
  OpaqueStep,
  SendEmailStep,
  SendSmsStep,
  SetVarsStep,
  Sharing,
  StartWorkflowStep,
  Step,
  StepOf,
  StepType,
  SwitchStep,
  UpdateLeadStep,
  WaitSpec,
  WaitStep,
  WebhookStep,
} from './steps.ts';
export { EFFECT_CLASS, SHARING, STEP_TYPES, stepSchema } from './steps.ts';
export type { Trigger, TriggerType } from './triggers.ts';
export { STEP_ID_PATTERN, TRIGGER_TYPES, triggerSchema } from './triggers.ts';
export type { ParsedWorkflow, Workflow, WorkflowIssue, WorkflowSettings } from './workflow.ts';
export {
  findUnboundedCycle,
  parseWorkflow,
  stepMap,
  WORKFLOW_SCHEMA_VERSION,
  workflowJsonSchema,
  workflowSchema,
  workflowSettingsSchema,
} from './workflow.ts';
