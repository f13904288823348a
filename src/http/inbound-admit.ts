import { LeadloopError } from '../core/index.ts';
import type { HttpDeps } from './deps.ts';

/**
 * A signed inbound's charge to the workspace's rate limit (workflow hooks, Calendly), made only
 * once the signature verified: forgeries never drain a workspace's bucket.
 */
export async function admitInbound(
  deps: Pick<HttpDeps, 'tenants' | 'rateLimiter'>,
  workspaceId: string,
): Promise<void> {
  const workspace = await deps.tenants.getWorkspace(workspaceId);
  if (!workspace)
    throw new LeadloopError('not_found', `workspace ${workspaceId} does not exist`, {
      issues: [{ field: 'path.workspaceId', reason: 'no such workspace' }],
    });
  const taken = deps.rateLimiter.take(`hooks:${workspaceId}`, workspace.settings.rateLimit);
  if (!taken.allowed)
    throw new LeadloopError(
      'rate_limited',
      `workspace ${workspaceId} is over its inbound rate of ${workspace.settings.rateLimit.perSecond}/s`,
      { retryAfterSeconds: taken.retryAfterSeconds },
    );
}
