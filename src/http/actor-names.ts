import type { TenantsService } from '../tenants/index.ts';
import type { UsersService } from '../users/index.ts';

/**
 * People read who did something by name, not by id: a console user by their name (else e-mail),
 * an API key by its label. Ids are given bare (`usr_…`, `key_…`) or as the audit's `type:id`.
 * Only the workspace's own users and keys are named; anything else (a user since removed, a CLI
 * actor) has no name and the caller shows what it has.
 */
export async function actorNames(
  deps: { users: Pick<UsersService, 'listUsers'>; tenants: Pick<TenantsService, 'listApiKeys'> },
  workspaceId: string,
  actors: readonly (string | null)[],
): Promise<(actor: string | null) => string | null> {
  const bare = (actor: string) => actor.slice(actor.indexOf(':') + 1);
  const wanted = actors.filter((a): a is string => a !== null).map(bare);
  const names = new Map<string, string>();
  if (wanted.some((id) => id.startsWith('usr_')))
    // A name that is only the e-mail's local part (the default) says less than the e-mail.
    for (const user of await deps.users.listUsers(workspaceId))
      names.set(user.id, user.name && user.name !== user.email.split('@')[0] ? user.name : user.email);
  if (wanted.some((id) => id.startsWith('key_')))
    for (const key of await deps.tenants.listApiKeys(workspaceId))
      names.set(key.id, key.label ? `API key “${key.label}”` : `${key.scope} API key`);
  return (actor) => (actor === null ? null : (names.get(bare(actor)) ?? null));
}
