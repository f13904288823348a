/**
 * Workflows: what happens to a lead after it arrives. Actions with real components (SMTP e-mail,
 * signed webhooks, HTTP requests that cannot reach the host, Slack/Teams, HubSpot/Salesforce), a
 * credential store sealed at rest, and the ports the capability needs from the rest of Leadloop.
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
  CredentialInput,
  CredentialKind,
  CredentialStore,
  CredentialSummary,
} from './credentials/credential-store.ts';
export { createCredentialStore, credentialInputSchema } from './credentials/credential-store.ts';
export type { SettingsStore, WorkflowSettings } from './credentials/settings-store.ts';
export {
  createSettingsStore,
  DEFAULT_WORKFLOW_SETTINGS,
  workflowSettingsSchema,
} from './credentials/settings-store.ts';
export type {
  ConsentPort,
  ConsentState,
  CouncilPort,
  LeadPatch,
  LeadPort,
  WorkflowLead,
  WorkspaceRef,
} from './ports.ts';
