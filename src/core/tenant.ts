/**
 * Who is acting, on behalf of which workspace. Every repository function that touches tenant
 * data takes one of these, so there is no way to query tenant rows without naming the tenant.
 */
export interface WorkspaceContext {
  readonly workspaceId: string;
  readonly organisationId: string;
}

/** The scopes an API key may carry. `org` keys read aggregated analytics only. */
/** `advise`: may ask the council (and read); `admin` may do everything in its workspace. */
export type KeyScope = 'admin' | 'ingest' | 'read' | 'advise' | 'org';

export const KEY_SCOPES: readonly KeyScope[] = ['admin', 'ingest', 'read', 'advise', 'org'];

/** Who did something, as recorded in the audit trail. */
export interface Actor {
  type: 'api_key' | 'webhook' | 'system' | 'cli' | 'worker';
  id: string;
}
