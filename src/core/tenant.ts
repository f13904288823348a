/**
 * Which tenant an operation acts for. The parameter convention (docs/architecture.md, "Tenant
 * context"): a repository or service that reads or changes a workspace's data on someone's behalf
 * takes `(unit?, tenant: WorkspaceContext, …)`: the unit of work first when it joins the caller's
 * transaction, the tenant second. Records that only file an entry under a workspace (audit log,
 * domain events, queued jobs) take the bare `workspaceId`: they never read across tenants and
 * need no organisation. New code follows this; older scoring and council internals that still take
 * a bare id are converted when touched.
 */
export interface WorkspaceContext {
  readonly workspaceId: string;
  readonly organisationId: string;
}

/** The scopes an API key may carry. `org` keys read aggregated analytics only. */
/** `advise`: may ask the council (and read); `admin` may do everything in its workspace. */
export type KeyScope = 'admin' | 'ingest' | 'read' | 'advise' | 'org';

/** Who did something, as recorded in the audit trail. */
export interface Actor {
  type: 'api_key' | 'webhook' | 'system' | 'cli' | 'worker' | 'user';
  id: string;
}
