import { randomBytes } from 'node:crypto';
import type { Actor } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import type { AccountsService } from './accounts.ts';
import { verifyPassword } from './passwords.ts';
import { isRole, type Role } from './roles.ts';
import { normaliseEmail, sha256, type User, type UsersContext, WRONG_CREDENTIALS } from './user-context.ts';

/** Invitations: a signed link for an e-mail and a role, accepted once before it expires. */
export interface InvitationsService {
  invite(input: {
    workspaceId: string;
    email: string;
    role: Role;
    actor: Actor;
  }): Promise<{ id: string; token: string; expiresAt: number }>;
  acceptInvitation(input: { token: string; name?: string; password: string }): Promise<User>;
}

export function createInvitations(
  context: UsersContext,
  accounts: Pick<AccountsService, 'findUser' | 'createUser' | 'grantRole'>,
  invitationTtlMs: number,
): InvitationsService {
  const { db, clock, ids, record } = context;
  return {
    async invite({ workspaceId, email, role, actor }) {
      const token = randomBytes(32).toString('base64url');
      const id = ids.next('inv');
      const now = clock.now();
      const expiresAt = now + invitationTtlMs;
      await db
        .insertInto('user_invitations')
        .values({
          id,
          token_hash: sha256(token),
          email: normaliseEmail(email),
          workspace_id: workspaceId,
          role,
          invited_by: `${actor.type}:${actor.id}`,
          created_at: now,
          expires_at: expiresAt,
          accepted_at: null,
        })
        .execute();
      await record(workspaceId, actor, 'user.invited', id, `invitation as ${role}`);
      return { id, token, expiresAt };
    },

    async acceptInvitation({ token, name, password }) {
      const row = await db
        .selectFrom('user_invitations')
        .selectAll()
        .where('token_hash', '=', sha256(token))
        .executeTakeFirst();
      if (!row || row.accepted_at !== null || Number(row.expires_at) <= clock.now() || !isRole(row.role))
        throw new LeadloopError('not_found', 'the invitation is not valid, was used, or has expired', {
          issues: [{ field: 'body.token', reason: 'unknown, used or expired invitation' }],
        });
      const actor = { type: 'user', id: '' } as Actor;
      let user = await accounts.findUser(row.email);
      if (user) {
        // An existing account proves itself with its password before it gains the role.
        const stored = await db
          .selectFrom('users')
          .select('password_hash')
          .where('id', '=', user.id)
          .executeTakeFirstOrThrow();
        if (!(await verifyPassword(password, stored.password_hash))) throw WRONG_CREDENTIALS();
      } else {
        user = await accounts.createUser({ email: row.email, name, password, actor });
      }
      await db
        .updateTable('user_invitations')
        .set({ accepted_at: clock.now() })
        .where('id', '=', row.id)
        .execute();
      await accounts.grantRole({
        userId: user.id,
        role: row.role,
        workspaceId: row.workspace_id,
        actor: { type: 'user', id: user.id },
      });
      return user;
    },
  };
}
