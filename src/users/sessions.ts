import { randomBytes, timingSafeEqual } from 'node:crypto';
import { inWorkspace, LeadloopError } from '../core/index.ts';
import { accountByEmail, endSessions, recordSignIn, sessionById } from './account-statements.ts';
import type { AccountsService } from './accounts.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import {
  type Access,
  checkPassword,
  normaliseEmail,
  type SignedIn,
  sha256,
  type User,
  type UserSession,
  type UsersContext,
  WRONG_CREDENTIALS,
} from './user-context.ts';

/** Sessions: sign-in with throttling and lockout, the cookie's session, sign-out, password change. */
export interface SessionsService {
  signIn(input: { email: string; password: string; workspaceId?: string; client: string }): Promise<SignedIn>;
  authenticate(token: string): Promise<UserSession | null>;
  verifyCsrf(session: UserSession, header: string | undefined): boolean;
  signOut(token: string): Promise<void>;
  signOutEverywhere(userId: string, workspaceId: string): Promise<number>;
  switchWorkspace(token: string, workspaceId: string): Promise<UserSession>;
  changePassword(input: { session: UserSession; current: string; next: string }): Promise<void>;
}

export interface SessionLimits {
  maxFailedLogins: number;
  lockoutMs: number;
  attemptsPerMinute: number;
  idleMs: number;
  maxAgeMs: number;
}

export function createSessions(
  context: UsersContext,
  accounts: Pick<AccountsService, 'workspacesOf'> & {
    roleIn(userId: string, workspaceId: string): Promise<Access | null>;
  },
  limits: SessionLimits,
): SessionsService {
  const { store, db, clock, record, inScope, passwords } = context;
  const { maxFailedLogins: maxFailed, lockoutMs, attemptsPerMinute, idleMs, maxAgeMs } = limits;
  const roleIn = accounts.roleIn;
  /** A session event: the account acts on itself, so it is both the actor and the subject. */
  const recordOwn = (workspaceId: string, userId: string, action: string, reason: string) =>
    record(workspaceId, { type: 'user', id: userId }, action, userId, reason);
  const attempts = new Map<string, { count: number; windowStart: number }>();
  // Unknown e-mails are checked against this so that they take as long as known ones.
  const dummyHash = hashPassword('not a password of anyone');

  async function startSession(user: User, workspaceId: string): Promise<SignedIn> {
    const access = await roleIn(user.id, workspaceId);
    if (!access)
      throw new LeadloopError('forbidden', 'this account has no role in that workspace', {
        issues: [{ field: 'body.workspaceId', reason: 'not a workspace of this account' }],
      });
    const token = randomBytes(32).toString('base64url');
    const now = clock.now();
    const expiresAt = Math.min(now + idleMs, now + maxAgeMs);
    await inWorkspace(workspaceId, () =>
      db
        .insertInto('user_sessions')
        .values({
          id: sha256(token),
          user_id: user.id,
          workspace_id: workspaceId,
          created_at: now,
          last_seen_at: now,
          expires_at: expiresAt,
        })
        .execute(),
    );
    return {
      token,
      session: {
        sessionId: sha256(token),
        user,
        workspaceId,
        organisationId: access.organisationId,
        role: access.role,
        organisationRole: access.organisationRole,
        csrfToken: sha256(`csrf:${token}`),
        expiresAt,
      },
    };
  }

  function throttle(client: string): void {
    const now = clock.now();
    let entry = attempts.get(client);
    if (!entry || now - entry.windowStart >= 60_000) {
      if (attempts.size > 10_000) attempts.clear();
      entry = { count: 0, windowStart: now };
      attempts.set(client, entry);
    }
    entry.count += 1;
    if (entry.count > attemptsPerMinute)
      throw new LeadloopError('rate_limited', 'too many sign-in attempts from this address', {
        retryAfterSeconds: Math.ceil((entry.windowStart + 60_000 - now) / 1000),
        issues: [{ field: 'body.email', reason: 'too many attempts; wait and retry' }],
      });
  }

  const sessions: SessionsService = {
    async signIn({ email, password, workspaceId, client }) {
      throttle(client);
      const row = await accountByEmail(db, store.dialect, normaliseEmail(email));
      const now = clock.now();
      if (!row) {
        await verifyPassword(password, await dummyHash);
        throw WRONG_CREDENTIALS();
      }
      if (row.locked_until !== null && Number(row.locked_until) > now)
        throw new LeadloopError('rate_limited', 'this account is locked after too many failed sign-ins', {
          retryAfterSeconds: Math.ceil((Number(row.locked_until) - now) / 1000),
          issues: [{ field: 'body.email', reason: 'account locked for a while after failed sign-ins' }],
        });
      if (!(await passwords.matches(password, row.id, row.password_hash))) {
        const failed = Number(row.failed_logins) + 1;
        await recordSignIn(
          db,
          store.dialect,
          row.id,
          failed >= maxFailed ? 0 : failed,
          failed >= maxFailed ? now + lockoutMs : null,
        );
        throw WRONG_CREDENTIALS();
      }
      const user = { id: row.id, email: row.email, name: row.name };
      const counted = Number(row.failed_logins) > 0 || row.locked_until !== null;
      const reachable = counted || !workspaceId ? await accounts.workspacesOf(user.id) : [];
      // On PostgreSQL clearing the counter needs a scope that reaches the account (migration 019):
      // the password has checked out, so the process signs one of the account's workspaces.
      if (counted && reachable.length > 0)
        await inScope(
          reachable.map((w) => w.workspaceId),
          () => recordSignIn(db, store.dialect, row.id, 0, null),
        );
      const target = workspaceId ?? reachable[0]?.workspaceId;
      if (!target)
        throw new LeadloopError('forbidden', 'this account has no workspace yet', {
          issues: [{ field: 'body.email', reason: 'the account has no role in any workspace' }],
        });
      const signedIn = await startSession(user, target);
      await recordOwn(target, user.id, 'user.signed_in', 'signed in to the console');
      return signedIn;
    },

    async authenticate(token) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
      const id = sha256(token);
      const row = await sessionById(db, store.dialect, id);
      const now = clock.now();
      if (!row || Number(row.expires_at) <= now) return null;
      const access = await roleIn(row.id, row.workspace_id);
      if (!access) return null;
      let expiresAt = Number(row.expires_at);
      // Sliding expiry, written at most once a minute so that reads stay reads.
      if (now - Number(row.last_seen_at) > 60_000) {
        expiresAt = Math.min(now + idleMs, Number(row.created_at) + maxAgeMs);
        await inWorkspace(row.workspace_id, () =>
          db
            .updateTable('user_sessions')
            .set({ last_seen_at: now, expires_at: expiresAt })
            .where('id', '=', id)
            .execute(),
        );
      }
      return {
        sessionId: id,
        user: { id: row.id, email: row.email, name: row.name },
        workspaceId: row.workspace_id,
        organisationId: access.organisationId,
        role: access.role,
        organisationRole: access.organisationRole,
        csrfToken: sha256(`csrf:${token}`),
        expiresAt,
      };
    },

    verifyCsrf(session, header) {
      if (!header) return false;
      const a = Buffer.from(header);
      const b = Buffer.from(session.csrfToken);
      return a.length === b.length && timingSafeEqual(a, b);
    },

    async signOut(token) {
      const session = await sessions.authenticate(token);
      const row = await sessionById(db, store.dialect, sha256(token));
      if (row)
        await inWorkspace(row.workspace_id, () =>
          db.deleteFrom('user_sessions').where('id', '=', sha256(token)).execute(),
        );
      if (session) await recordOwn(session.workspaceId, session.user.id, 'user.signed_out', 'signed out');
    },

    async signOutEverywhere(userId, workspaceId) {
      const count = await inWorkspace(workspaceId, () => endSessions(db, store.dialect, userId, null));
      await recordOwn(workspaceId, userId, 'user.signed_out_everywhere', `${count} sessions ended`);
      return count;
    },

    async switchWorkspace(token, workspaceId) {
      const session = await sessions.authenticate(token);
      if (!session) throw new LeadloopError('unauthenticated', 'the session has ended');
      const access = await roleIn(session.user.id, workspaceId);
      if (!access)
        throw new LeadloopError('forbidden', 'this account has no role in that workspace', {
          issues: [{ field: 'body.workspaceId', reason: 'not a workspace of this account' }],
        });
      // Moving the row from one workspace to another needs both in the scope.
      await inScope([session.workspaceId, workspaceId], () =>
        db
          .updateTable('user_sessions')
          .set({ workspace_id: workspaceId })
          .where('id', '=', session.sessionId)
          .execute(),
      );
      await recordOwn(workspaceId, session.user.id, 'user.switched_workspace', `from ${session.workspaceId}`);
      const switched = await sessions.authenticate(token);
      if (!switched) throw new LeadloopError('unauthenticated', 'the session has ended');
      return switched;
    },

    async changePassword({ session, current, next }) {
      checkPassword(next, 'body.newPassword');
      const row = await accountByEmail(db, store.dialect, session.user.email);
      if (
        !row ||
        row.id !== session.user.id ||
        !(await passwords.matches(current, row.id, row.password_hash))
      )
        throw new LeadloopError('forbidden', 'the current password is not correct', {
          issues: [{ field: 'body.currentPassword', reason: 'does not match' }],
        });
      const hash = passwords.seal(session.user.id, await hashPassword(next));
      await inWorkspace(session.workspaceId, async () => {
        await db
          .updateTable('users')
          .set({ password_hash: hash, password_changed_at: clock.now() })
          .where('id', '=', session.user.id)
          .execute();
        // Other sessions may be an attacker's: a password change ends them, keeping this one.
        await endSessions(db, store.dialect, session.user.id, session.sessionId);
      });
      await recordOwn(
        session.workspaceId,
        session.user.id,
        'user.password_changed',
        'password changed; other sessions ended',
      );
    },
  };
  return sessions;
}
