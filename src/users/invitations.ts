import { randomBytes } from 'node:crypto';
import type { Actor } from '../core/index.ts';
import { inWorkspace, LeadloopError } from '../core/index.ts';
import { accountByEmail, invitationByToken } from './account-statements.ts';
import type { AccountsService } from './accounts.ts';
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
  const { store, db, clock, ids, record } = context;
  return {
    async invite({ workspaceId, email, role, actor }) {
      const token = randomBytes(32).toString('base64url');
      const id = ids.next('inv');
      const now = clock.now();
      const expiresAt = now + invitationTtlMs;
      await inWorkspace(workspaceId, () =>
        db
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
          .execute(),
      );
      await record(workspaceId, actor, 'user.invited', id, `invitation as ${role}`);
      return { id, token, expiresAt };
    },

    async acceptInvitation({ token, name, password }) {
      const row = await invitationByToken(db, store.dialect, sha256(token));
      if (!row || row.accepted_at !== null || Number(row.expires_at) <= clock.now() || !isRole(row.role))
        throw new LeadloopError('not_found', 'the invitation is not valid, was used, or has expired', {
          issues: [{ field: 'body.token', reason: 'unknown, used or expired invitation' }],
        });
      const actor = { type: 'user', id: '' } as Actor;
      const existing = await accountByEmail(db, store.dialect, row.email);
      let user: User;
      if (existing) {
        // An existing account proves itself with its password before it gains the role.
        if (!(await context.passwords.matches(password, existing.id, existing.password_hash)))
          throw WRONG_CREDENTIALS();
        user = { id: existing.id, email: existing.email, name: existing.name };
      } else {
        user = await accounts.createUser({
          email: row.email,
          name,
          password,
          workspaceId: row.workspace_id,
          actor,
        });
      }
      await inWorkspace(row.workspace_id, () =>
        db
          .updateTable('user_invitations')
          .set({ accepted_at: clock.now() })
          .where('id', '=', row.id)
          .execute(),
      );
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
