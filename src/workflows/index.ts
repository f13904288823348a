/**
 * Workflows: what happens to a lead after it arrives. The durable engine (steps as jobs, memoised,
 * timers as due rows, retries, cancellation, limits), the workflow service (versions, verification
 * before activation, runs), actions with real components (SMTP e-mail, signed webhooks, HTTP
 * requests that cannot reach the host, Slack/Teams, HubSpot/Salesforce/Pipedrive, Google Sheets and
 * Airtable rows, SMS and automated calls
 * through Twilio with quiet hours), versioned e-mail/SMS templates per workspace, a credential store sealed
 * at rest, and the ports the capability needs from the rest of Leadloop.
 */

export {
  sendChatMessage,
  sendSignedWebhook,
  upsertHubspotRecord,
  upsertSalesforceRecord,
} from './actions/connectors.ts';

export { egressRefusal, isPrivateAddress } from './actions/egress.ts';

export { createEmailSender } from './actions/email.ts';

export { upsertPipedriveRecord } from './actions/pipedrive.ts';

export { createSafeHttp, OutboundError } from './actions/safe-http.ts';

export { sendTwilioMessage } from './actions/sms.ts';

export { airtableRow, googleSheetsRow } from './actions/tables.ts';

export { verifyWorkflow } from './compliance/index.ts';
export type { CredentialStore } from './credentials/credential-store.ts';
export { createCredentialStore, credentialInputSchema } from './credentials/credential-store.ts';
export type { SettingsStore } from './credentials/settings-store.ts';
export {
  createSettingsStore,
  workspaceWorkflowSettingsSchema,
} from './credentials/settings-store.ts';
/** WF-A: the DSL's parser and types, compliance guards, generation from a goal, n8n import/export. */
export type { Workflow } from './dsl/index.ts';
export { workflowJsonSchema } from './dsl/index.ts';
export type { WorkflowEngine } from './engine/engine.ts';
export { createWorkflowEngine } from './engine/engine.ts';
export { countryOfNumber, nextSendingWindow, recipientZones, toE164 } from './engine/quiet-hours.ts';
export type {
  GeneratedWorkflow,
  GenerateRequest,
  GenerationRefusal,
} from './generator/index.ts';
export { generateWorkflow } from './generator/index.ts';
export type { HookStore } from './inbound/hook-store.ts';
export { createHookStore } from './inbound/hook-store.ts';
export type {} from './n8n/index.ts';
export {
  importN8nFilesDetailed,
  importN8nWorkflow,
  isN8nWorkflow,
} from './n8n/index.ts';
export type {
  ConsentPort,
  CouncilPort,
  LeadPort,
} from './ports.ts';
export type { TemplateStore, TemplateSummary, TemplateVersion } from './templates/template-store.ts';
export {
  createTemplateStore,
  templateContentSchema,
  templateInputSchema,
} from './templates/template-store.ts';
export type {
  Verify,
  WorkflowDetail,
  WorkflowService,
  WorkflowSummary,
} from './workflow-service.ts';
export { createWorkflowService } from './workflow-service.ts';
