/**
 * Who is acting, on behalf of which workspace. Every repository function that touches tenant
 * data takes one of these, so there is no way to query tenant rows without naming the tenant.
 */
export interface WorkspaceContext {
  readonly workspaceId: string;
  readonly organisationId: string;
}

/** The scopes an API key may carry. `org` keys read aggregated analytics only. */
export type KeyScope = 'admin' | 'ingest' | 'read' | 'org';

export const KEY_SCOPES: readonly KeyScope[] = ['admin', 'ingest', 'read', 'org'];

/** Who did something, as recorded in the audit trail. */
export interface Actor {
  type: 'api_key' | 'webhook' | 'system' | 'cli' | 'worker' | 'user';
  id: string;
}
