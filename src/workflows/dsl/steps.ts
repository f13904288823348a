import { z } from 'zod';
import {
  addToSequenceStepSchema,
  askCouncilStepSchema,
  assignOwnerStepSchema,
  chatMessageStepSchema,
  crmUpsertStepSchema,
  httpRequestStepSchema,
  sendEmailStepSchema,
  sendSmsStepSchema,
  startWorkflowStepSchema,
  tableRowStepSchema,
  updateLeadStepSchema,
  webhookStepSchema,
} from './steps-actions.ts';
import {
  collectStepSchema,
  conditionStepSchema,
  htmlExtractStepSchema,
  loopStepSchema,
  noopStepSchema,
  opaqueStepSchema,
  renderStepSchema,
  setVarsStepSchema,
  splitStepSchema,
  switchStepSchema,
  waitStepSchema,
} from './steps-flow.ts';

export type { JsonTemplate, Sharing } from './step-kit.ts';

/**
 * The closed step vocabulary. Every step has an `id`; control flows along `next` (absent = the run
 * ends) or along a branching step's own edges (`onTrue` / `onFalse`, `cases[].next` / `default`, wait
 * `onTimeout`, council `branches`, loop `body`). Any step may name an `onError` step taken when it
 * fails after its retries; without one the run fails.
 *
 * Strings marked "template" are logic-less Mustache: `{{lead.name}}`, `{{trigger.outcome}}`,
 * `{{vars.x}}`, `{{steps.<id>.<path>}}`, sections over values only; no partials, lambdas or code.
 */

export const stepSchema = z.discriminatedUnion('type', [
  conditionStepSchema,
  switchStepSchema,
  splitStepSchema,
  waitStepSchema,
  sendEmailStepSchema,
  sendSmsStepSchema,
  httpRequestStepSchema,
  webhookStepSchema,
  chatMessageStepSchema,
  crmUpsertStepSchema,
  tableRowStepSchema,
  assignOwnerStepSchema,
  updateLeadStepSchema,
  askCouncilStepSchema,
  addToSequenceStepSchema,
  startWorkflowStepSchema,
  loopStepSchema,
  setVarsStepSchema,
  collectStepSchema,
  renderStepSchema,
  htmlExtractStepSchema,
  noopStepSchema,
  opaqueStepSchema,
]);

export type Step = z.infer<typeof stepSchema>;
export type StepType = Step['type'];
export type StepOf<T extends StepType> = Extract<Step, { type: T }>;

/**
 * What a step does to the world, for idempotency keys, rate limits and the verifier:
 * `email`, `sms`, `http`, `webhook`, `chat`, `crm` (CRM records and spreadsheet rows), `sequence` (enrols into marketing e-mail),
 * `ai` (council), `unknown` (opaque), or `null` for steps that only touch the run or the lead.
 */
export type EffectClass =
  | 'email'
  | 'sms'
  | 'http'
  | 'webhook'
  | 'chat'
  | 'crm'
  | 'sequence'
  | 'ai'
  | 'unknown';

export const EFFECT_CLASS: Record<StepType, EffectClass | null> = {
  condition: null,
  switch: null,
  split: null,
  wait: null,
  send_email: 'email',
  send_sms: 'sms',
  http_request: 'http',
  webhook: 'webhook',
  chat_message: 'chat',
  crm_upsert: 'crm',
  table_row: 'crm',
  assign_owner: null,
  update_lead: null,
  ask_council: 'ai',
  add_to_sequence: 'sequence',
  start_workflow: null,
  loop: null,
  set_vars: null,
  collect: null,
  render: null,
  html_extract: null,
  noop: null,
  opaque: 'unknown',
};
