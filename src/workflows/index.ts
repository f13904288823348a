/**
 * Workflows: what happens to a lead after it arrives. The durable engine (steps as jobs, memoised,
 * timers as due rows, retries, cancellation, limits), the workflow service (versions, verification
 * before activation, runs), actions with real components (SMTP e-mail, signed webhooks, HTTP
 * requests that cannot reach the host, Slack/Teams, HubSpot/Salesforce), a credential store sealed
 * at rest, and the ports the capability needs from the rest of Leadloop.
 */

export type { CrmRecord, EffectResult, WebhookSigner } from './actions/connectors.ts';
export {
  sendChatMessage,
  sendHttpRequest,
  sendSignedWebhook,
  upsertHubspotContact,
  upsertSalesforceLead,
} from './actions/connectors.ts';
export type { EgressPolicy } from './actions/egress.ts';
export { egressRefusal, isPrivateAddress } from './actions/egress.ts';
export type { EmailMessage, EmailSender, SenderIdentity, SentEmail } from './actions/email.ts';
export { createEmailSender, messageIdFor } from './actions/email.ts';
export type { OutboundRequest, OutboundResponse, SafeHttp, SafeHttpOptions } from './actions/safe-http.ts';
export { createSafeHttp, OutboundError } from './actions/safe-http.ts';
export { renderTemplate, templateError } from './actions/templates.ts';
export type {
  AddedGuard,
  ComplianceRule,
  Finding,
  GuardedWorkflow,
  Verification,
  VerifyOptions,
} from './compliance/index.ts';
export { COMPLIANCE_RULES, insertGuards, verifyWorkflow } from './compliance/index.ts';
export type {
  CredentialInput,
  CredentialKind,
  CredentialStore,
  CredentialSummary,
} from './credentials/credential-store.ts';
export { createCredentialStore, credentialInputSchema } from './credentials/credential-store.ts';
export type { SettingsStore, WorkspaceWorkflowSettings } from './credentials/settings-store.ts';
export {
  createSettingsStore,
  DEFAULT_WORKSPACE_WORKFLOW_SETTINGS,
  workspaceWorkflowSettingsSchema,
} from './credentials/settings-store.ts';
/** WF-A: the DSL's parser and types, compliance guards, generation from a goal, n8n import/export. */
export type { Step, StepType, Trigger, Workflow, WorkflowIssue } from './dsl/index.ts';
export { parseWorkflow, regionOf, STEP_TYPES, workflowJsonSchema, workflowSchema } from './dsl/index.ts';
export type { StartRunInput, WorkflowEngine, WorkflowEngineOptions } from './engine/engine.ts';
export { createWorkflowEngine, ENGINE_SEMANTICS_VERSION } from './engine/engine.ts';
export { nextFire } from './engine/schedules.ts';
export type { LeadEvent } from './engine/triggers.ts';
export type {
  GenerateConstraints,
  GeneratedWorkflow,
  GenerateOptions,
  GenerateRequest,
  GenerationRefusal,
  StepExplanation,
} from './generator/index.ts';
export {
  GENERATE_TASK,
  generateRequestSchema,
  generateWorkflow,
  workflowGenerationSkill,
} from './generator/index.ts';
export type { HookStore, InboundHook } from './inbound/hook-store.ts';
export { createHookStore, hookPathOf } from './inbound/hook-store.ts';
export type {
  ImportedFile,
  ImportReport,
  ImportResult,
  ImportSummary,
  N8nWorkflowJson,
} from './n8n/index.ts';
export {
  exportN8nWorkflow,
  importN8nFiles,
  importN8nFilesDetailed,
  importN8nWorkflow,
  isN8nWorkflow,
} from './n8n/index.ts';
export type {
  ConsentPort,
  ConsentState,
  CouncilPort,
  LeadPatch,
  LeadPort,
  WorkflowLead,
  WorkspaceRef,
} from './ports.ts';
export type {
  RunStep,
  RunSummary,
  VerificationResult,
  Verify,
  WorkflowDetail,
  WorkflowService,
  WorkflowSummary,
} from './workflow-service.ts';
export { createWorkflowService } from './workflow-service.ts';
