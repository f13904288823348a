export { generateApiKey, generateWebhookSecret, generateWidgetKey, hashApiKey } from './secrets.ts';
export type { WorkspaceSettings, WorkspaceSettingsInput } from './settings.ts';
export { workspaceSettingsSchema } from './settings.ts';
export type {
  ActiveSecret,
  CreatedWorkspace,
  Principal,
  TenantsService,
  TenantsServiceOptions,
} from './tenants-service.ts';
export { createTenantsService } from './tenants-service.ts';
export type { Workspace, WorkspaceDirectory } from './workspace-directory.ts';
export { createWorkspaceDirectory } from './workspace-directory.ts';
