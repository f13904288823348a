export type { ListedApiKey, Principal } from './api-keys.ts';
export { hashApiKey } from './secrets.ts';
export { workspaceSettingsSchema } from './settings.ts';
export type { TenantsService } from './tenants-service.ts';
export { createTenantsService } from './tenants-service.ts';
export type { Workspace } from './workspace-directory.ts';
export { createWorkspaceDirectory } from './workspace-directory.ts';
