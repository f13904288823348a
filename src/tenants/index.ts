export { generateApiKey, generateWebhookSecret, generateWidgetKey, hashApiKey } from './secrets.ts';
export type { WorkspaceSettings, WorkspaceSettingsInput } from './settings.ts';
export { workspaceSettingsSchema } from './settings.ts';
export type {
  ActiveSecret,
  CreatedWorkspace,
  Principal,
  TenantsService,
  TenantsServiceOptions,
  Workspace,
} from './tenants-service.ts';
export { createTenantsService } from './tenants-service.ts';
